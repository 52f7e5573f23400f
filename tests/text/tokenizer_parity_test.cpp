// Parity with HF tokenizers (label: parity). Reads fixtures made by the
// reference scripts in tools/ wherever the `tokenizers` package is installed:
//
//   tests/fixtures/tokenizer/<name>.gguf         vocab-only GGUF (tokenizer.* keys)
//   tests/fixtures/tokenizer/<name>.cases.jsonl  one JSON object per line:
//     {"text": str, "ids": [int], "add_special": bool, "parse_special": bool,
//      "decoded": str (optional)}
//
// For every case: encode(text, add_special, parse_special) must equal ids, and
// decode(ids, skip_special=false) must equal "decoded" (HF
// tokenizer.decode(ids, skip_special_tokens=False), see
// tools/make_tokenizer_fixtures.py). Without "decoded", the expected text is
// the input itself: decoding ids minus the bos/eos that add_special put there,
// with special tokens rendered, must give the text back (true for every
// lossless case).
//
// The real tokenizers of current models (Llama 3/3.1, Qwen3, DeepSeek V3,
// Mistral Nemo, Gemma 3) are checked the same way on 6,000 strings each:
// tests/fixtures/tokenizer/real/real_tokenizers.tar.xz, made by
// tests/text/tokenizer_ref/make_tokenizer_fixtures.mjs with HF tokenizers'
// Node bindings (format in that script) and unpacked by CMake into
// HEARTH_REAL_TOKENIZER_DIR. There decode is checked with skip_special both
// false and true, and each converted file's chat template is rendered and
// its prompt encoded.
//
// A missing fixture is a failure, not a skip: parity that is not checked is
// not parity.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/gguf.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

#ifndef HEARTH_FIXTURE_DIR
#error "HEARTH_FIXTURE_DIR must name tests/fixtures"
#endif
#ifndef HEARTH_REAL_TOKENIZER_DIR
#error "HEARTH_REAL_TOKENIZER_DIR must name the unpacked tests/fixtures/tokenizer/real archive"
#endif

namespace hearth::text {
namespace {

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out.size() > 200 ? out.substr(0, 200) + "..." : out;
}

void check_parity(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(HEARTH_FIXTURE_DIR) / "tokenizer";
  const std::filesystem::path gguf_path = dir / (name + ".gguf");
  const std::filesystem::path cases_path = dir / (name + ".cases.jsonl");
  ASSERT_TRUE(std::filesystem::exists(gguf_path)) << "missing parity fixture " << gguf_path;
  ASSERT_TRUE(std::filesystem::exists(cases_path)) << "missing parity fixture " << cases_path;

  auto file = model::GgufFile::open(gguf_path.string());
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto tokenizer_or = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tokenizer_or.ok()) << tokenizer_or.status().to_string();
  const Tokenizer& tokenizer = **tokenizer_or;

  std::ifstream cases(cases_path);
  ASSERT_TRUE(cases.good()) << "cannot read " << cases_path;
  std::string line;
  int line_no = 0;
  int n_cases = 0;
  int n_encode_mismatches = 0;
  while (std::getline(cases, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json json_case;
    std::string text;
    std::vector<int32_t> want_ids;
    bool add_special = false;
    bool parse_special = false;
    try {
      json_case = nlohmann::json::parse(line);
      text = json_case.at("text").get<std::string>();
      want_ids = json_case.at("ids").get<std::vector<int32_t>>();
      add_special = json_case.at("add_special").get<bool>();
      parse_special = json_case.at("parse_special").get<bool>();
    } catch (const nlohmann::json::exception& e) {
      ADD_FAILURE() << cases_path << ":" << line_no << ": malformed case: " << e.what();
      continue;
    }
    ++n_cases;
    const std::string where = name + ".cases.jsonl:" + std::to_string(line_no) + " text \"" + printable(text) +
                              "\" add_special=" + std::to_string(add_special) +
                              " parse_special=" + std::to_string(parse_special);

    const std::vector<int32_t> ids = tokenizer.encode(text, add_special, parse_special);
    if (ids != want_ids) ++n_encode_mismatches;
    EXPECT_EQ(ids, want_ids) << where;
    ASSERT_TRUE(tokenizer.validate_ids(want_ids).ok()) << where << ": HF ids outside the vocabulary";

    if (json_case.contains("decoded")) {
      EXPECT_EQ(tokenizer.decode(want_ids, /*skip_special=*/false), json_case["decoded"].get<std::string>()) << where;
    } else {
      std::span<const int32_t> body(want_ids);
      if (add_special && tokenizer.add_bos() && !body.empty() && body.front() == tokenizer.bos_id()) {
        body = body.subspan(1);
      }
      if (add_special && tokenizer.add_eos() && !body.empty() && body.back() == tokenizer.eos_id()) {
        body = body.first(body.size() - 1);
      }
      EXPECT_EQ(tokenizer.decode(body, /*skip_special=*/false), text) << where;
    }
  }
  EXPECT_GT(n_cases, 0) << cases_path << " has no cases";
  EXPECT_EQ(n_encode_mismatches, 0) << "of " << n_cases << " cases";
}

TEST(TokenizerParityTest, BpeLlama3) { check_parity("bpe_llama3"); }

TEST(TokenizerParityTest, Spm) { check_parity("spm"); }

// ---- real tokenizers: the binary fixtures of make_tokenizer_fixtures.mjs

// Bounds-checked reading of the fixtures; the first error sticks and every
// later read returns zeros, so a truncated file ends the loop, not the process.
class FixtureReader {
 public:
  explicit FixtureReader(std::string bytes) : bytes_(std::move(bytes)) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool at_end() const { return pos_ == bytes_.size(); }

  void expect_header(std::string_view magic, uint32_t version) {
    if (take(magic.size()) != magic) fail("bad magic (want " + std::string(magic) + ")");
    uint32_t got = 0;
    const std::string_view raw = take(4);
    for (size_t idx = 0; idx < raw.size(); ++idx) {
      got |= static_cast<uint32_t>(static_cast<uint8_t>(raw[idx])) << (8 * idx);
    }
    if (ok() && got != version) fail("version " + std::to_string(got) + ", want " + std::to_string(version));
  }
  uint8_t u8() {
    const std::string_view raw = take(1);
    return raw.empty() ? 0 : static_cast<uint8_t>(raw[0]);
  }
  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::string_view raw = take(1);
      if (raw.empty()) return 0;
      const auto byte = static_cast<uint8_t>(raw[0]);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    fail("varint longer than 64 bits");
    return 0;
  }
  // varint length, then that many bytes.
  std::string_view text() { return take(varint()); }

 private:
  std::string_view take(uint64_t n) {
    if (!ok()) return {};
    if (n > bytes_.size() - pos_) {
      fail("truncated: " + std::to_string(n) + " bytes wanted at offset " + std::to_string(pos_));
      return {};
    }
    const std::string_view out(bytes_.data() + pos_, n);
    pos_ += n;
    return out;
  }
  void fail(std::string message) {
    if (ok()) error_ = std::move(message);
  }

  std::string bytes_;
  size_t pos_ = 0;
  std::string error_;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// An edited copy of `base` (see the format in make_tokenizer_fixtures.mjs):
// its first `prefix` bytes, the stored middle, its last `suffix` bytes.
std::string read_edit(FixtureReader& reader, std::string_view base) {
  const uint64_t prefix = reader.varint();
  const uint64_t suffix = reader.varint();
  const std::string_view middle = reader.text();
  if (prefix > base.size() || suffix > base.size() - prefix) return "<malformed edit>";
  std::string out(base.substr(0, prefix));
  out.append(middle);
  out.append(base.substr(base.size() - suffix));
  return out;
}

// Ids [begin, begin + 24) with each token's text, for failure messages.
std::string ids_to_string(const Tokenizer& tokenizer, const std::vector<int32_t>& ids, size_t begin = 0) {
  std::string out = begin > 0 ? "[... " : "[";
  const size_t end = std::min(ids.size(), begin + 24);
  for (size_t idx = begin; idx < end; ++idx) {
    if (idx > begin) out += ' ';
    out += std::to_string(ids[idx]);
    if (tokenizer.validate_ids({&ids[idx], 1}).ok()) {
      out += '\'';
      out += printable(tokenizer.token_to_bytes(ids[idx], true));
      out += '\'';
    }
  }
  return out + (end < ids.size() ? " ...]" : "]");
}

// Where two id sequences first differ, a few tokens early for context.
size_t context_start(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t idx = 0;
  while (idx < a.size() && idx < b.size() && a[idx] == b[idx]) ++idx;
  return idx < 4 ? 0 : idx - 4;
}

void check_real_parity(const std::string& name) {
  const std::filesystem::path dir(HEARTH_REAL_TOKENIZER_DIR);
  for (const std::string& file : {std::string("corpus.bin"), name + ".cases.bin", name + ".gguf"}) {
    ASSERT_TRUE(std::filesystem::exists(dir / file)) << "missing parity fixture " << dir / file;
  }
  FixtureReader corpus(read_file(dir / "corpus.bin"));
  corpus.expect_header("HTXC", 1);
  std::vector<std::string> strings(corpus.varint());
  for (std::string& text : strings) text = std::string(corpus.text());
  ASSERT_TRUE(corpus.ok() && corpus.at_end()) << "corpus.bin: " << corpus.error();

  auto file = model::GgufFile::open((dir / (name + ".gguf")).string());
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto tokenizer_or = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tokenizer_or.ok()) << tokenizer_or.status().to_string();
  const Tokenizer& tokenizer = **tokenizer_or;

  FixtureReader cases(read_file(dir / (name + ".cases.bin")));
  cases.expect_header("HTKC", 1);
  const uint64_t n_cases = cases.varint();
  int n_encode_mismatches = 0;
  int n_decode_mismatches = 0;
  constexpr int kMaxReported = 12;
  for (uint64_t case_idx = 0; case_idx < n_cases && cases.ok(); ++case_idx) {
    const uint64_t string_idx = cases.varint();
    const uint8_t flags = cases.u8();
    std::vector<int32_t> want_ids(cases.varint());
    for (int32_t& id : want_ids) id = static_cast<int32_t>(cases.varint());
    if (!cases.ok()) break;
    ASSERT_LT(string_idx, strings.size()) << name << " case " << case_idx;
    const std::string& text = strings[string_idx];
    const std::string want_decoded = (flags & 4) ? text : read_edit(cases, text);
    const std::string want_decoded_skip = (flags & 8) ? text : read_edit(cases, text);
    const bool add_special = (flags & 1) != 0;
    const bool parse_special = (flags & 2) != 0;
    const std::string where = name + " case " + std::to_string(case_idx) + " (string " + std::to_string(string_idx) +
                              ") text \"" + printable(text) + "\" add_special=" + std::to_string(add_special) +
                              " parse_special=" + std::to_string(parse_special);

    const std::vector<int32_t> ids = tokenizer.encode(text, add_special, parse_special);
    if (ids != want_ids && ++n_encode_mismatches <= kMaxReported) {
      const size_t from = context_start(ids, want_ids);
      ADD_FAILURE() << where << "\n  hf:     " << ids_to_string(tokenizer, want_ids, from)
                    << "\n  hearth: " << ids_to_string(tokenizer, ids, from);
    }
    ASSERT_TRUE(tokenizer.validate_ids(want_ids).ok()) << where << ": HF ids outside the vocabulary";
    const std::string decoded = tokenizer.decode(want_ids, /*skip_special=*/false);
    const std::string decoded_skip = tokenizer.decode(want_ids, /*skip_special=*/true);
    if ((decoded != want_decoded || decoded_skip != want_decoded_skip) && ++n_decode_mismatches <= kMaxReported) {
      ADD_FAILURE() << where << " ids " << ids_to_string(tokenizer, want_ids) << "\n  hf decode:     \""
                    << printable(want_decoded) << "\" / skip special \"" << printable(want_decoded_skip)
                    << "\"\n  hearth decode: \"" << printable(decoded) << "\" / skip special \""
                    << printable(decoded_skip) << "\"";
    }
  }
  ASSERT_TRUE(cases.ok() && cases.at_end()) << name << ".cases.bin: " << cases.error();
  EXPECT_GE(n_cases, 5000u);

  // The converted file also serves a chat: its own template runs, and the
  // turn markers it renders come back as single added tokens.
  auto chat = ChatTemplate::from_gguf(*file);
  ASSERT_TRUE(chat.ok()) << chat.status().to_string();
  EXPECT_EQ(chat->name(), "jinja") << chat->fallback_reason();
  const std::vector<ChatMessage> messages = {{"system", "Be brief."}, {"user", "Hello!"}};
  auto prompt = chat->render(messages, /*add_generation_prompt=*/true);
  ASSERT_TRUE(prompt.ok()) << prompt.status().to_string();
  const std::vector<int32_t> prompt_ids = tokenizer.encode(*prompt, /*add_special=*/false, /*parse_special=*/true);
  EXPECT_EQ(tokenizer.decode(prompt_ids, /*skip_special=*/false), *prompt);
  const bool has_marker = std::any_of(prompt_ids.begin(), prompt_ids.end(), [&](int32_t id) {
    return tokenizer.token_type(id) == TokenType::kControl || tokenizer.token_type(id) == TokenType::kUserDefined;
  });
  EXPECT_TRUE(has_marker) << printable(*prompt);
  EXPECT_EQ(n_encode_mismatches, 0) << "encode mismatches of " << n_cases << " cases";
  EXPECT_EQ(n_decode_mismatches, 0) << "decode mismatches of " << n_cases << " cases";
}

// BERT's uncased WordPiece (bert-base-uncased's vocabulary, shared by
// all-MiniLM-L6 and bge-base-en) against HF tokenizers on 6,000 strings, with
// and without [CLS]/[SEP], special-token texts parsed or plain, and truncation
// to a max length (tests/text/bert_tokenizer_ref/make_bert_tokenizer_fixtures.mjs).
TEST(BertTokenizerParityTest, BertBaseUncased) {
  const std::filesystem::path dir(HEARTH_BERT_TOKENIZER_DIR);
  for (const char* file : {"corpus.bin", "bert.cases.bin", "bert.gguf"}) {
    ASSERT_TRUE(std::filesystem::exists(dir / file)) << "missing parity fixture " << dir / file;
  }
  FixtureReader corpus(read_file(dir / "corpus.bin"));
  corpus.expect_header("HTXC", 1);
  std::vector<std::string> strings(corpus.varint());
  for (std::string& text : strings) text = std::string(corpus.text());
  ASSERT_TRUE(corpus.ok() && corpus.at_end()) << "corpus.bin: " << corpus.error();

  auto file = model::GgufFile::open((dir / "bert.gguf").string());
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto tokenizer_or = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tokenizer_or.ok()) << tokenizer_or.status().to_string();
  const Tokenizer& tokenizer = **tokenizer_or;
  EXPECT_EQ(tokenizer.model(), "bert");
  EXPECT_EQ(tokenizer.token_text(tokenizer.bos_id()), "[CLS]");
  EXPECT_EQ(tokenizer.token_text(tokenizer.eos_id()), "[SEP]");

  FixtureReader cases(read_file(dir / "bert.cases.bin"));
  cases.expect_header("HTKB", 1);
  const uint64_t n_cases = cases.varint();
  int n_mismatches = 0;
  int n_truncated = 0;
  int64_t n_unk = 0;
  constexpr int kMaxReported = 12;
  for (uint64_t case_idx = 0; case_idx < n_cases && cases.ok(); ++case_idx) {
    const uint64_t string_idx = cases.varint();
    const uint8_t flags = cases.u8();
    const bool truncated = (flags & 4) != 0;
    const int64_t max_length = truncated ? static_cast<int64_t>(cases.varint()) : 0;
    std::vector<int32_t> want_ids(cases.varint());
    for (int32_t& id : want_ids) id = static_cast<int32_t>(cases.varint());
    if (!cases.ok()) break;
    ASSERT_LT(string_idx, strings.size()) << "case " << case_idx;
    const std::string& text = strings[string_idx];
    const bool add_special = (flags & 1) != 0;
    const bool parse_special = (flags & 2) != 0;
    const std::vector<int32_t> ids = truncated
                                         ? tokenizer.encode_truncated(text, add_special, parse_special, max_length)
                                         : tokenizer.encode(text, add_special, parse_special);
    n_truncated += truncated ? 1 : 0;
    n_unk += std::count(want_ids.begin(), want_ids.end(), tokenizer.unk_id());
    if (ids != want_ids && ++n_mismatches <= kMaxReported) {
      const size_t from = context_start(ids, want_ids);
      ADD_FAILURE() << "case " << case_idx << " text \"" << printable(text) << "\" add_special=" << add_special
                    << " parse_special=" << parse_special << " max_length=" << max_length
                    << "\n  hf:     " << ids_to_string(tokenizer, want_ids, from)
                    << "\n  hearth: " << ids_to_string(tokenizer, ids, from);
    }
  }
  ASSERT_TRUE(cases.ok() && cases.at_end()) << "bert.cases.bin: " << cases.error();
  EXPECT_GE(n_cases, 5000u);
  EXPECT_GT(n_truncated, 1000);
  EXPECT_GT(n_unk, 1000);
  EXPECT_EQ(n_mismatches, 0) << "encode mismatches of " << n_cases << " cases";
}

TEST(RealTokenizerParityTest, Llama3) { check_real_parity("llama3"); }
TEST(RealTokenizerParityTest, Llama3_1) { check_real_parity("llama3_1"); }
TEST(RealTokenizerParityTest, Qwen3) { check_real_parity("qwen3"); }
TEST(RealTokenizerParityTest, DeepseekV3) { check_real_parity("deepseek_v3"); }
TEST(RealTokenizerParityTest, MistralNemo) { check_real_parity("mistral_nemo"); }
TEST(RealTokenizerParityTest, Gemma3) { check_real_parity("gemma3"); }

}  // namespace
}  // namespace hearth::text
