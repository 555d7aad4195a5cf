// Tests of the scrypt backend.
#include <catch2/catch.hpp>
