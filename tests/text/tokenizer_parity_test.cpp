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
// A missing fixture is a failure, not a skip: parity that is not checked is
// not parity.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "model/gguf.h"
#include "text/tokenizer.h"

#ifndef HEARTH_FIXTURE_DIR
#error "HEARTH_FIXTURE_DIR must name tests/fixtures"
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

}  // namespace
}  // namespace hearth::text
