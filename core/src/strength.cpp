// Strength estimation with zxcvbn-c and feedback from its match list.
#include "strength.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <zxcvbn.h>

namespace pwsvc {

namespace {

// zxcvbn's scores are bands of log10(guesses): below 3, 6, 8 and 10. zxcvbn-c
// returns log2(guesses), so the bands are multiplied by log2(10).
int score_for(double entropy_bits) {
  constexpr std::array k_band_log10{3.0, 6.0, 8.0, 10.0};
  const double log10_guesses = entropy_bits / std::log2(10.0);
  int score = 0;
  for (double band : k_band_log10) {
    score += log10_guesses >= band ? 1 : 0;
  }
  return score;
}

const char* hint_for(int type) {
  switch (type) {
    case DICTIONARY_MATCH: return "it contains a common word, name or password";
    case DICT_LEET_MATCH:
      return "it contains a common word with look-alike symbols, such as '@' for 'a', which "
             "guessing tools try early";
    case USER_MATCH:
    case USER_LEET_MATCH: return "it contains a word from the account or the service";
    case REPEATS_MATCH: return "it repeats a character or a short pattern";
    case SEQUENCE_MATCH: return "it contains a sequence such as 'abc' or '9876'";
    case SPATIAL_MATCH: return "it follows a line of keys on the keyboard";
    case DATE_MATCH:
    case YEAR_MATCH: return "it contains a date or a year";
    default: return nullptr;
  }
}

void add_once(std::vector<std::string>& list, const char* text) {
  if (text != nullptr && std::find(list.begin(), list.end(), text) == list.end()) {
    list.emplace_back(text);
  }
}

}  // namespace

// NOTE: zxcvbn-c reads a NUL-terminated string, so a password with a NUL
// byte is scored on the part before it, and its internal copies of the
// password are freed without being wiped.
StrengthEstimate estimate_strength(ByteView password, const std::vector<std::string>& user_words) {
  SecretBytes text = SecretBytes::copy_of(password);
  const unsigned char nul = 0;
  text.append(ByteView(&nul, 1));

  std::vector<const char*> dictionary;
  for (const std::string& word : user_words) {
    dictionary.push_back(word.c_str());
  }
  dictionary.push_back(nullptr);

  ZxcMatch_t* matches = nullptr;
  StrengthEstimate estimate;
  estimate.entropy_bits = ZxcvbnMatch(reinterpret_cast<const char*>(text.data()),
                                      dictionary.data(), &matches);
  estimate.score = score_for(estimate.entropy_bits);
  if (estimate.score < 4) {
    for (const ZxcMatch_t* match = matches; match != nullptr; match = match->Next) {
      add_once(estimate.feedback, hint_for(match->Type & ~MULTIPLE_MATCH));
      if ((match->Type & MULTIPLE_MATCH) != 0) {
        add_once(estimate.feedback, "it uses the same part more than once");
      }
    }
    add_once(estimate.feedback,
             "a longer password of several unrelated words is both stronger and easier to "
             "remember");
  }
  ZxcvbnFreeInfo(matches);
  return estimate;
}

}  // namespace pwsvc
