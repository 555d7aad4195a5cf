// Password strength from zxcvbn-c, as a 0-4 score with feedback.
#pragma once

#include <string>
#include <vector>

#include "pwsvc/secret.hpp"

namespace pwsvc {

struct StrengthEstimate {
  int score = 0;        // 0 to 4, on zxcvbn's scale of guesses
  double entropy_bits = 0;  // log2 of the estimated guesses
  std::vector<std::string> feedback;
};

// Estimates how many guesses `password` takes. `user_words` are words an
// attacker would try first, such as the username.
StrengthEstimate estimate_strength(ByteView password, const std::vector<std::string>& user_words);

}  // namespace pwsvc
