// Tests of the legacy backend.
#include <catch2/catch.hpp>
