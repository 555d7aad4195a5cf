// Tests of the argon2 backend.
#include <catch2/catch.hpp>
