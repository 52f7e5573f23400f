#include "infer/grammar_matcher.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hearth::infer {
namespace {

using Kind = GrammarNode::Kind;

bool is_ws(uint8_t byte) { return byte == ' ' || byte == '\n' || byte == '\t'; }
bool is_digit(uint8_t byte) { return byte >= '0' && byte <= '9'; }
bool is_hex(uint8_t byte) {
  return is_digit(byte) || (byte >= 'a' && byte <= 'f') || (byte >= 'A' && byte <= 'F');
}

// Number phases.
enum : uint8_t {
  kNumStart = 0,
  kNumMinus,
  kNumInt,       // digits, the first not 0
  kNumZero,      // a lone leading 0
  kNumPoint,     // after '.'
  kNumFrac,      // fraction digits
  kNumExp,       // after 'e'
  kNumExpSign,   // after 'e+' / 'e-'
  kNumExpDigit,  // exponent digits
};

// Object phases.
enum : uint8_t {
  kObjStart = 0,
  kObjOpened,     // after '{'
  kObjKey,        // inside a key
  kObjAfterKey,   // before ':'
  kObjColon,      // after ':'
  kObjAfterValue, // before ',' or '}'
  kObjComma,      // after ','
};

// Array phases.
enum : uint8_t { kArrStart = 0, kArrOpened, kArrAfterItem, kArrComma };

// The closed or open interval a bounded number must fall in. Integer nodes
// get integer closed bounds, so that interval tests are exact for them.
struct Bounds {
  double lo = -std::numeric_limits<double>::infinity();
  bool lo_open = false;
  double hi = std::numeric_limits<double>::infinity();
  bool hi_open = false;

  bool contains(double value) const {
    const bool above = lo_open ? value > lo : value >= lo;
    const bool below = hi_open ? value < hi : value <= hi;
    return above && below;
  }
  bool intersects(double a, bool a_open, double b, bool b_open) const {
    const double low = std::max(a, lo);
    const bool low_open = (low == a && a_open) || (low == lo && lo_open);
    const double high = std::min(b, hi);
    const bool high_open = (high == b && b_open) || (high == hi && hi_open);
    return low < high || (low == high && !low_open && !high_open);
  }
};

Bounds bounds_of(const GrammarNode& node) {
  Bounds bounds;
  if (node.minimum) {
    bounds.lo = *node.minimum;
    bounds.lo_open = node.exclusive_minimum;
    if (node.integer) {
      bounds.lo = bounds.lo_open ? std::floor(bounds.lo) + 1.0 : std::ceil(bounds.lo);
      bounds.lo_open = false;
    }
  }
  if (node.maximum) {
    bounds.hi = *node.maximum;
    bounds.hi_open = node.exclusive_maximum;
    if (node.integer) {
      bounds.hi = bounds.hi_open ? std::ceil(bounds.hi) - 1.0 : std::floor(bounds.hi);
      bounds.hi_open = false;
    }
  }
  return bounds;
}

double pow10(int exponent) { return std::pow(10.0, exponent); }

}  // namespace

GrammarMatcher::GrammarMatcher(const JsonGrammar& grammar) : grammar_(&grammar) {
  Frame root;
  root.node = grammar.root();
  stacks_.push_back(Stack{root});
}

bool GrammarMatcher::accept(uint8_t byte) {
  next_.clear();
  int branch_budget = kMaxBranchesPerByte;
  for (const Stack& stack : stacks_) {
    Stack copy = stack;
    feed(std::move(copy), byte, &next_, &branch_budget);
  }
  if (next_.empty()) return false;
  // De-duplicate readings that met again (enum values after their shared prefix, say).
  std::vector<Stack> unique;
  unique.reserve(next_.size());
  for (Stack& stack : next_) {
    if (unique.size() >= kMaxStacks) break;
    if (std::find(unique.begin(), unique.end(), stack) == unique.end()) unique.push_back(std::move(stack));
  }
  stacks_.swap(unique);
  return true;
}

bool GrammarMatcher::accept(std::string_view bytes) {
  if (bytes.empty()) return true;
  GrammarMatcher trial = *this;
  for (const char byte : bytes) {
    if (!trial.accept(static_cast<uint8_t>(byte))) return false;
  }
  stacks_.swap(trial.stacks_);
  return true;
}

bool GrammarMatcher::can_finish() const {
  return std::any_of(stacks_.begin(), stacks_.end(), [this](const Stack& stack) { return stack_can_finish(stack); });
}

bool GrammarMatcher::finished() const {
  return !stacks_.empty() && std::all_of(stacks_.begin(), stacks_.end(), [](const Stack& stack) { return stack.empty(); });
}

int64_t GrammarMatcher::plain_string_room() const {
  if (stacks_.size() != 1 || stacks_[0].empty()) return -2;
  const Frame& frame = stacks_[0].back();
  if (frame.str != 0 || frame.utf8_pending != 0) return -2;
  const GrammarNode& node = grammar_->node(frame.node);
  if (node.kind == Kind::kString && frame.phase == 1) {
    return node.max_length < 0 ? -1 : std::max<int64_t>(0, node.max_length - frame.count);
  }
  if (node.kind == Kind::kObject && node.additional >= 0 && frame.phase == kObjKey) return -1;  // a free key
  return -2;
}

bool GrammarMatcher::stack_can_finish(const Stack& stack) const {
  for (auto frame = stack.rbegin(); frame != stack.rend(); ++frame) {
    const GrammarNode& node = grammar_->node(frame->node);
    if (node.kind == Kind::kNumber && number_complete(*frame)) continue;
    if (node.kind == Kind::kSequence && frame->index == static_cast<int32_t>(node.children.size())) continue;
    return false;
  }
  return true;
}

void GrammarMatcher::feed(Stack&& stack, uint8_t byte, std::vector<Stack>* out, int* branch_budget) const {
  for (;;) {
    if (stack.empty()) return;  // complete: nothing may follow
    const GrammarNode& node = grammar_->node(stack.back().node);
    if (node.kind == Kind::kAnyOf) {
      // validate() ruled out anyOf loops that read nothing, so this ends.
      for (const int32_t child : node.children) {
        if (*branch_budget <= 0 || out->size() >= 4 * kMaxStacks) return;
        --*branch_budget;
        Stack branch = stack;
        branch.back() = Frame{};
        branch.back().node = child;
        feed(std::move(branch), byte, out, branch_budget);
      }
      return;
    }
    switch (step(stack, byte)) {
      case Step::kReject:
        return;
      case Step::kConsumed:
        out->push_back(std::move(stack));
        return;
      case Step::kConsumedPop:
        stack.pop_back();
        // A sequence whose last part just ended is complete too.
        while (!stack.empty()) {
          const GrammarNode& parent = grammar_->node(stack.back().node);
          if (parent.kind != Kind::kSequence || stack.back().index != static_cast<int32_t>(parent.children.size())) {
            break;
          }
          stack.pop_back();
        }
        out->push_back(std::move(stack));
        return;
      case Step::kPopRefeed:
        stack.pop_back();
        continue;
      case Step::kPushRefeed:
        if (stack.size() > kMaxDepth) return;
        continue;
    }
  }
}

GrammarMatcher::Step GrammarMatcher::step(Stack& stack, uint8_t byte) const {
  Frame& frame = stack.back();
  const GrammarNode& node = grammar_->node(frame.node);
  switch (node.kind) {
    case Kind::kObject:
      return step_object(stack, byte);
    case Kind::kArray:
      return step_array(stack, byte);
    case Kind::kString:
      if (frame.phase == 0) {
        if (byte != '"') return Step::kReject;
        frame.phase = 1;
        return Step::kConsumed;
      }
      return step_string(frame, byte, node.min_length, node.max_length);
    case Kind::kNumber:
      return step_number(frame, byte);
    case Kind::kLiteral:
      if (static_cast<uint8_t>(node.literal[static_cast<size_t>(frame.index)]) != byte) return Step::kReject;
      ++frame.index;
      return frame.index == static_cast<int32_t>(node.literal.size()) ? Step::kConsumedPop : Step::kConsumed;
    case Kind::kSequence: {
      if (frame.index == static_cast<int32_t>(node.children.size())) return Step::kPopRefeed;
      Frame child;
      child.node = node.children[static_cast<size_t>(frame.index)];
      ++frame.index;
      stack.push_back(child);  // `frame` is not used past this point
      return Step::kPushRefeed;
    }
    case Kind::kAnyOf:
      break;  // feed() expands it
  }
  return Step::kReject;
}

GrammarMatcher::Step GrammarMatcher::step_string(Frame& frame, uint8_t byte, int64_t min_length,
                                                 int64_t max_length) const {
  const bool room = max_length < 0 || frame.count < max_length;
  if (frame.utf8_pending > 0) {
    if (byte < frame.utf8_lo || byte > frame.utf8_hi) return Step::kReject;
    --frame.utf8_pending;
    frame.utf8_lo = 0x80;
    frame.utf8_hi = 0xBF;
    return Step::kConsumed;
  }
  if (frame.str == 1) {
    if (byte == 'u') {
      frame.str = 2;
      return Step::kConsumed;
    }
    constexpr std::string_view kEscapes = "\"\\/bfnrt";
    if (kEscapes.find(static_cast<char>(byte)) == std::string_view::npos) return Step::kReject;
    frame.str = 0;
    return Step::kConsumed;
  }
  if (frame.str >= 2) {
    if (!is_hex(byte)) return Step::kReject;
    // \uD800..\uDFFF (surrogates) would not be valid text on their own.
    if (frame.str == 2) {
      frame.utf8_lo = byte;  // the first digit, until the second is seen
    } else if (frame.str == 3) {
      const bool surrogate = (frame.utf8_lo == 'd' || frame.utf8_lo == 'D') && !(byte >= '0' && byte <= '7');
      frame.utf8_lo = 0x80;
      if (surrogate) return Step::kReject;
    }
    frame.str = frame.str == 5 ? 0 : static_cast<uint8_t>(frame.str + 1);
    return Step::kConsumed;
  }
  if (byte == '"') return frame.count >= min_length ? Step::kConsumedPop : Step::kReject;
  if (byte < 0x20 || !room) return Step::kReject;
  if (byte == '\\') {
    ++frame.count;
    frame.str = 1;
    return Step::kConsumed;
  }
  if (byte < 0x80) {
    ++frame.count;
    return Step::kConsumed;
  }
  // UTF-8 lead bytes and the range of the byte after them (RFC 3629 table).
  if (byte >= 0xC2 && byte <= 0xDF) {
    frame.utf8_pending = 1;
  } else if (byte == 0xE0) {
    frame.utf8_pending = 2;
    frame.utf8_lo = 0xA0;
  } else if ((byte >= 0xE1 && byte <= 0xEC) || byte == 0xEE || byte == 0xEF) {
    frame.utf8_pending = 2;
  } else if (byte == 0xED) {
    frame.utf8_pending = 2;
    frame.utf8_hi = 0x9F;
  } else if (byte == 0xF0) {
    frame.utf8_pending = 3;
    frame.utf8_lo = 0x90;
  } else if (byte >= 0xF1 && byte <= 0xF3) {
    frame.utf8_pending = 3;
  } else if (byte == 0xF4) {
    frame.utf8_pending = 3;
    frame.utf8_hi = 0x8F;
  } else {
    return Step::kReject;
  }
  ++frame.count;
  return Step::kConsumed;
}

GrammarMatcher::Step GrammarMatcher::step_object(Stack& stack, uint8_t byte) const {
  Frame& frame = stack.back();
  const GrammarNode& node = grammar_->node(frame.node);
  const bool free_keys = node.additional >= 0;
  const auto n_properties = static_cast<int32_t>(node.properties.size());
  // Properties from `index` on: the last one a key may name (the first required one).
  const auto window_end = [&]() {
    int32_t last = frame.index;
    while (last < n_properties && !node.properties[static_cast<size_t>(last)].required) ++last;
    return std::min(last, n_properties - 1);
  };
  const auto required_left = [&]() {
    for (int32_t idx = frame.index; idx < n_properties; ++idx) {
      if (node.properties[static_cast<size_t>(idx)].required) return true;
    }
    return false;
  };
  const auto start_key = [&]() {
    if (!free_keys && frame.index >= n_properties) return Step::kReject;
    frame.phase = kObjKey;
    frame.ws = 0;
    frame.str = 0;
    frame.count = free_keys ? 0 : 1;  // the opening quote of a property key is matched
    frame.candidate = frame.index;
    return Step::kConsumed;
  };
  const auto whitespace = [&]() {
    if (frame.ws >= kMaxWhitespaceBytes) return Step::kReject;
    ++frame.ws;
    return Step::kConsumed;
  };

  switch (frame.phase) {
    case kObjStart:
      if (byte != '{') return Step::kReject;
      frame.phase = kObjOpened;
      return Step::kConsumed;
    case kObjOpened:
    case kObjComma:
      if (is_ws(byte)) return whitespace();
      if (byte == '"') return start_key();
      if (byte == '}' && frame.phase == kObjOpened && !required_left()) return Step::kConsumedPop;
      return Step::kReject;
    case kObjKey: {
      if (free_keys) {
        const Step key = step_string(frame, byte, 0, -1);
        if (key == Step::kConsumedPop) {
          frame.phase = kObjAfterKey;
          frame.str = 0;
          frame.count = 0;
          return Step::kConsumed;
        }
        return key;
      }
      const std::string& matched = node.properties[static_cast<size_t>(frame.candidate)].key_json;
      const auto n_matched = static_cast<size_t>(frame.count);
      const int32_t last = window_end();
      for (int32_t idx = frame.candidate; idx <= last; ++idx) {
        const std::string& key = node.properties[static_cast<size_t>(idx)].key_json;
        if (key.size() <= n_matched || static_cast<uint8_t>(key[n_matched]) != byte) continue;
        if (key.compare(0, n_matched, matched, 0, n_matched) != 0) continue;
        frame.candidate = idx;
        ++frame.count;
        if (static_cast<size_t>(frame.count) == key.size()) {
          frame.phase = kObjAfterKey;
          frame.ws = 0;
        }
        return Step::kConsumed;
      }
      return Step::kReject;
    }
    case kObjAfterKey:
      if (is_ws(byte)) return whitespace();
      if (byte != ':') return Step::kReject;
      frame.phase = kObjColon;
      frame.ws = 0;
      return Step::kConsumed;
    case kObjColon: {
      if (is_ws(byte)) return whitespace();
      Frame child;
      if (free_keys) {
        child.node = node.additional;
      } else {
        child.node = node.properties[static_cast<size_t>(frame.candidate)].value;
        frame.index = frame.candidate + 1;
      }
      frame.phase = kObjAfterValue;
      frame.ws = 0;
      frame.any_written = true;
      stack.push_back(child);
      return Step::kPushRefeed;
    }
    case kObjAfterValue:
      if (is_ws(byte)) return whitespace();
      if (byte == ',' && (free_keys || frame.index < n_properties)) {
        frame.phase = kObjComma;
        frame.ws = 0;
        return Step::kConsumed;
      }
      if (byte == '}' && !required_left()) return Step::kConsumedPop;
      return Step::kReject;
    default:
      return Step::kReject;
  }
}

GrammarMatcher::Step GrammarMatcher::step_array(Stack& stack, uint8_t byte) const {
  Frame& frame = stack.back();
  const GrammarNode& node = grammar_->node(frame.node);
  const auto push_item = [&]() {
    if (node.max_items >= 0 && frame.count >= node.max_items) return Step::kReject;
    ++frame.count;
    frame.phase = kArrAfterItem;
    frame.ws = 0;
    Frame child;
    child.node = node.items;
    stack.push_back(child);
    return Step::kPushRefeed;
  };
  if (frame.phase != kArrStart && is_ws(byte)) {
    if (frame.ws >= kMaxWhitespaceBytes) return Step::kReject;
    ++frame.ws;
    return Step::kConsumed;
  }
  switch (frame.phase) {
    case kArrStart:
      if (byte != '[') return Step::kReject;
      frame.phase = kArrOpened;
      return Step::kConsumed;
    case kArrOpened:
      if (byte == ']') return node.min_items == 0 ? Step::kConsumedPop : Step::kReject;
      return push_item();
    case kArrAfterItem:
      if (byte == ']') return frame.count >= node.min_items ? Step::kConsumedPop : Step::kReject;
      if (byte == ',' && (node.max_items < 0 || frame.count < node.max_items)) {
        frame.phase = kArrComma;
        frame.ws = 0;
        return Step::kConsumed;
      }
      return Step::kReject;
    case kArrComma:
      return push_item();
    default:
      return Step::kReject;
  }
}

GrammarMatcher::Step GrammarMatcher::step_number(Frame& frame, uint8_t byte) const {
  const GrammarNode& node = grammar_->node(frame.node);
  const bool bounded = node.minimum.has_value() || node.maximum.has_value();
  const bool exponent_ok = !node.integer && !bounded;
  const uint8_t phase = frame.phase;
  bool consumed = true;
  if (phase == kNumStart || phase == kNumMinus) {
    if (byte == '-' && phase == kNumStart) {
      frame.negative = true;
      frame.phase = kNumMinus;
    } else if (byte == '0') {
      frame.int_digits = 1;
      frame.phase = kNumZero;
    } else if (is_digit(byte)) {
      frame.int_value = byte - '0';
      frame.int_digits = 1;
      frame.phase = kNumInt;
    } else {
      return Step::kReject;  // a number has not started, or stops after '-'
    }
  } else if (phase == kNumInt && is_digit(byte)) {
    if (frame.int_digits >= kMaxIntegerDigits) return Step::kReject;
    frame.int_value = frame.int_value * 10 + (byte - '0');
    ++frame.int_digits;
  } else if ((phase == kNumInt || phase == kNumZero) && byte == '.' && !node.integer) {
    frame.phase = kNumPoint;
  } else if ((phase == kNumPoint || phase == kNumFrac) && is_digit(byte)) {
    if (frame.frac_digits >= kMaxFractionDigits) return Step::kReject;
    frame.frac_value = frame.frac_value * 10 + (byte - '0');
    ++frame.frac_digits;
    frame.phase = kNumFrac;
  } else if ((phase == kNumInt || phase == kNumZero || phase == kNumFrac) && (byte == 'e' || byte == 'E') &&
             exponent_ok) {
    frame.phase = kNumExp;
  } else if (phase == kNumExp && (byte == '+' || byte == '-')) {
    frame.phase = kNumExpSign;
  } else if ((phase == kNumExp || phase == kNumExpSign || phase == kNumExpDigit) && is_digit(byte)) {
    if (frame.exp_digits >= kMaxExponentDigits) return Step::kReject;
    ++frame.exp_digits;
    frame.phase = kNumExpDigit;
  } else {
    consumed = false;
  }
  if (!consumed) {
    // The number ends here, if it may end here; the byte belongs to the parent.
    return number_complete(frame) ? Step::kPopRefeed : Step::kReject;
  }
  if (bounded && !number_feasible(frame)) return Step::kReject;
  return Step::kConsumed;
}

bool GrammarMatcher::number_complete(const Frame& frame) const {
  if (frame.phase != kNumInt && frame.phase != kNumZero && frame.phase != kNumFrac && frame.phase != kNumExpDigit) {
    return false;
  }
  const GrammarNode& node = grammar_->node(frame.node);
  if (!node.minimum && !node.maximum) return true;
  double magnitude = static_cast<double>(frame.int_value);
  if (frame.frac_digits > 0) magnitude += static_cast<double>(frame.frac_value) / pow10(frame.frac_digits);
  return bounds_of(node).contains(frame.negative ? -magnitude : magnitude);
}

bool GrammarMatcher::number_feasible(const Frame& frame) const {
  const GrammarNode& node = grammar_->node(frame.node);
  const Bounds bounds = bounds_of(node);
  // Magnitudes [a, b] (open ends as flagged) that completions can reach, signed.
  const auto reachable = [&](double a, bool a_open, double b, bool b_open) {
    if (frame.negative) return bounds.intersects(-b, b_open, -a, a_open);
    return bounds.intersects(a, a_open, b, b_open);
  };
  const double d = static_cast<double>(frame.int_value);
  switch (frame.phase) {
    case kNumMinus:
      return reachable(0.0, false, pow10(kMaxIntegerDigits), true);
    case kNumZero:
      return node.integer ? reachable(0.0, false, 0.0, false) : reachable(0.0, false, 1.0, true);
    case kNumInt:
      // More digits scale the value by 10^n; a fraction adds less than 1 at any scale.
      for (int n_more = 0; n_more <= kMaxIntegerDigits - frame.int_digits; ++n_more) {
        const double scale = pow10(n_more);
        const bool hit = node.integer ? reachable(d * scale, false, (d + 1.0) * scale - 1.0, false)
                                      : reachable(d * scale, false, (d + 1.0) * scale, true);
        if (hit) return true;
      }
      return false;
    case kNumPoint:
      return reachable(d, false, d + 1.0, true);
    case kNumFrac: {
      const double unit = 1.0 / pow10(frame.frac_digits);
      const double x = d + static_cast<double>(frame.frac_value) * unit;
      if (frame.frac_digits >= kMaxFractionDigits) return reachable(x, false, x, false);
      return reachable(x, false, x + unit, true);
    }
    default:
      return true;
  }
}

}  // namespace hearth::infer
