// Tests of the pbkdf2 backend.
#include <catch2/catch.hpp>
