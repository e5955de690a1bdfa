// A minimal recursive-descent JSON checker (the RFC 8259 grammar, no value limits): enough to know
// that a trace viewer's parser will accept kemu's trace JSON, without a JSON library.
#ifndef KEMU_TESTS_UNIT_JSON_CHECKER_HPP_
#define KEMU_TESTS_UNIT_JSON_CHECKER_HPP_

#include <cctype>
#include <cstddef>
#include <string_view>

namespace kemu::testing {

class JsonChecker {
 public:
  explicit JsonChecker(std::string_view text) : text_(text) {}
  /// True for exactly one JSON value surrounded by white space; else error_at() says where.
  bool Valid() { return Value() && (Space(), at_ == text_.size()); }
  std::size_t error_at() const { return at_; }

 private:
  void Space() {
    while (at_ < text_.size() &&
           std::string_view(" \t\r\n").find(text_[at_]) != std::string_view::npos) {
      ++at_;
    }
  }
  bool Take(char c) {
    if (at_ >= text_.size() || text_[at_] != c) return false;
    ++at_;
    return true;
  }
  bool Digits() {
    const std::size_t start = at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
    return at_ > start;
  }
  bool Value() {
    Space();
    if (at_ >= text_.size()) return false;
    switch (text_[at_]) {
      case '{':
        return Members('}', /*keyed=*/true);
      case '[':
        return Members(']', /*keyed=*/false);
      case '"':
        return String();
      case 't':
        return Word("true");
      case 'f':
        return Word("false");
      case 'n':
        return Word("null");
      default:
        return Number();
    }
  }
  bool Members(char close, bool keyed) {
    ++at_;
    Space();
    if (Take(close)) return true;
    for (;;) {
      Space();
      if (keyed && !(String() && (Space(), Take(':')))) return false;
      if (!Value()) return false;
      Space();
      if (Take(close)) return true;
      if (!Take(',')) return false;
    }
  }
  bool String() {
    if (!Take('"')) return false;
    while (at_ < text_.size()) {
      const char c = text_[at_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') continue;
      if (at_ >= text_.size()) return false;
      const char escape = text_[at_++];
      if (escape == 'u') {
        for (int i = 0; i < 4; ++i, ++at_) {
          if (at_ >= text_.size() || !std::isxdigit(static_cast<unsigned char>(text_[at_]))) {
            return false;
          }
        }
      } else if (std::string_view("\"\\/bfnrt").find(escape) == std::string_view::npos) {
        return false;
      }
    }
    return false;
  }
  bool Number() {
    Take('-');
    if (!Digits()) return false;
    if (Take('.') && !Digits()) return false;
    if (Take('e') || Take('E')) {
      if (!Take('+')) Take('-');
      return Digits();
    }
    return true;
  }
  bool Word(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace kemu::testing

#endif  // KEMU_TESTS_UNIT_JSON_CHECKER_HPP_
