// Tests of the crypt backend.
#include <catch2/catch.hpp>
