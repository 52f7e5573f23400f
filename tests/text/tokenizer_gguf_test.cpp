// GGUF tokenizer keys: write a synthetic tokenizer with GgufWriter, read it
// back through GgufFile, and check the spec, the encodings and the chat
// template survive; then the defaults and the malformed files.
#include "text/tokenizer_gguf.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "model/gguf.h"
#include "model/gguf_writer.h"
#include "round_trip_strings.h"
#include "text/chat_template.h"
#include "text/synthetic_vocab.h"
#include "text/tokenizer.h"

namespace hearth::text {
namespace {

std::string temp_path(std::string_view name) {
  return (std::filesystem::path(testing::TempDir()) / ("hearth_text_" + std::string(name) + ".gguf")).string();
}

// Writes `writer` to a temporary file and opens it.
model::GgufFile write_and_open(const model::GgufWriter& writer, std::string_view name) {
  const std::string path = temp_path(name);
  const Status written = writer.write(path);
  EXPECT_TRUE(written.ok()) << written.to_string();
  auto file = model::GgufFile::open(path);
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  std::filesystem::remove(path);  // the mapping stays valid
  return std::move(file).value();
}

class TokenizerGgufRoundTripTest : public testing::TestWithParam<std::string> {};

TEST_P(TokenizerGgufRoundTripTest, SpecEncodingsAndTemplateSurvive) {
  const std::string style = GetParam();
  auto synth = make_synthetic_tokenizer(style, 20000);
  ASSERT_TRUE(synth.ok());
  model::GgufWriter writer;
  writer.add_string("general.architecture", "llama");
  write_tokenizer_metadata(synth->spec, writer);
  writer.add_string("tokenizer.chat_template", synth->chat_template);
  const model::GgufFile file = write_and_open(writer, style);

  auto spec = read_tokenizer_spec(file);
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  const TokenizerSpec& want = synth->spec;
  EXPECT_EQ(spec->model, want.model);
  EXPECT_EQ(spec->tokens, want.tokens);
  EXPECT_EQ(spec->scores, want.scores);
  EXPECT_EQ(spec->token_types, want.token_types);
  EXPECT_EQ(spec->merges, want.merges);
  EXPECT_EQ(spec->bos_id, want.bos_id);
  EXPECT_EQ(spec->eos_id, want.eos_id);
  EXPECT_EQ(spec->eot_id, want.eot_id);
  EXPECT_EQ(spec->pad_id, want.pad_id);
  EXPECT_EQ(spec->unk_id, want.unk_id);
  EXPECT_EQ(spec->add_bos, want.add_bos);
  EXPECT_EQ(spec->add_eos, want.add_eos);
  EXPECT_EQ(spec->add_space_prefix, want.add_space_prefix);
  if (want.model == "gpt2") {
    EXPECT_EQ(spec->pre, want.pre);
  }

  auto from_file = Tokenizer::from_gguf(file);
  ASSERT_TRUE(from_file.ok()) << from_file.status().to_string();
  auto from_spec = Tokenizer::create(want);
  ASSERT_TRUE(from_spec.ok());
  for (const std::string& text : round_trip_strings()) {
    EXPECT_EQ((*from_file)->encode(text, true, true), (*from_spec)->encode(text, true, true));
  }

  auto chat = ChatTemplate::from_gguf(file);
  ASSERT_TRUE(chat.ok()) << chat.status().to_string();
  // The family's published template survives and runs in the interpreter.
  EXPECT_EQ(chat->name(), "jinja");
  EXPECT_EQ(chat->fallback_reason(), "");
  EXPECT_EQ(chat->jinja_source(), ChatTemplate::from_name(style == "spm" ? "llama2" : style)->jinja_source());
  EXPECT_EQ(chat->bos_text(), want.tokens[want.bos_id]);
  EXPECT_EQ(chat->eos_text(), want.tokens[want.eos_id]);
}

INSTANTIATE_TEST_SUITE_P(Styles, TokenizerGgufRoundTripTest, testing::Values("llama3", "chatml", "spm"));

TEST(TokenizerGgufTest, LlamaDefaultsFollowLlamaCpp) {
  model::GgufWriter writer;
  writer.add_string("tokenizer.ggml.model", "llama");
  writer.add_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "\xE2\x96\x81" "a"});
  const model::GgufFile file = write_and_open(writer, "llama_defaults");
  auto spec = read_tokenizer_spec(file);
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  EXPECT_EQ(spec->unk_id, 0);
  EXPECT_EQ(spec->bos_id, 1);
  EXPECT_EQ(spec->eos_id, 2);
  EXPECT_TRUE(spec->add_bos);
  EXPECT_FALSE(spec->add_eos);
  EXPECT_TRUE(spec->add_space_prefix);
  auto tokenizer = Tokenizer::from_gguf(file);
  ASSERT_TRUE(tokenizer.ok());
  EXPECT_EQ((*tokenizer)->encode("a", true, false), (std::vector<int32_t>{1, 3}));
  // No template and no telling vocabulary: a clear error, not a guess.
  auto chat = ChatTemplate::from_gguf(file);
  ASSERT_FALSE(chat.ok());
  EXPECT_EQ(chat.status().code(), ErrorCode::kNotFound);
}

TEST(TokenizerGgufTest, ChatFormatFromVocabularyWhenTemplateIsAbsent) {
  auto synth = make_synthetic_tokenizer("chatml", 1000);
  ASSERT_TRUE(synth.ok());
  model::GgufWriter writer;
  write_tokenizer_metadata(synth->spec, writer);
  const model::GgufFile file = write_and_open(writer, "chatml_no_template");
  auto chat = ChatTemplate::from_gguf(file);
  ASSERT_TRUE(chat.ok()) << chat.status().to_string();
  EXPECT_EQ(chat->name(), "chatml");
}

TEST(TokenizerGgufTest, MalformedFilesAreErrorsNamingTheKey) {
  auto expect_error = [](const model::GgufWriter& writer, std::string_view name, ErrorCode code,
                         std::string_view needle) {
    const model::GgufFile file = write_and_open(writer, name);
    auto tokenizer = Tokenizer::from_gguf(file);
    ASSERT_FALSE(tokenizer.ok()) << name;
    EXPECT_EQ(tokenizer.status().code(), code) << tokenizer.status().to_string();
    EXPECT_NE(tokenizer.status().message().find(needle), std::string::npos) << tokenizer.status().to_string();
  };
  {
    model::GgufWriter writer;
    writer.add_string("general.architecture", "llama");
    expect_error(writer, "no_tokenizer", ErrorCode::kNotFound, "tokenizer");
  }
  {
    model::GgufWriter writer;
    writer.add_string("tokenizer.ggml.model", "llama");
    writer.add_int32_array("tokenizer.ggml.tokens", {1, 2, 3});
    expect_error(writer, "tokens_not_strings", ErrorCode::kInvalidArgument, "tokenizer.ggml.tokens");
  }
  {
    model::GgufWriter writer;
    writer.add_string("tokenizer.ggml.model", "gpt2");
    writer.add_string("tokenizer.ggml.pre", "llama-bpe");
    writer.add_string_array("tokenizer.ggml.tokens", {"a", "b", "ab"});
    expect_error(writer, "no_merges", ErrorCode::kNotFound, "tokenizer.ggml.merges");
  }
  {
    model::GgufWriter writer;
    writer.add_string("tokenizer.ggml.model", "llama");
    writer.add_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
    writer.add_uint32("tokenizer.ggml.bos_token_id", 1000000);
    expect_error(writer, "bos_out_of_range", ErrorCode::kDataLoss, "bos");
  }
  {
    model::GgufWriter writer;
    writer.add_string("tokenizer.ggml.model", "llama");
    writer.add_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
    writer.add_uint64("tokenizer.ggml.eos_token_id", uint64_t{1} << 40);
    expect_error(writer, "eos_too_big", ErrorCode::kDataLoss, "int32");
  }
  {
    model::GgufWriter writer;
    writer.add_string("tokenizer.ggml.model", "llama");
    writer.add_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
    writer.add_float32_array("tokenizer.ggml.scores", {0.0f, 0.0f});
    expect_error(writer, "short_scores", ErrorCode::kDataLoss, "scores");
  }
  {
    model::GgufWriter writer;
    writer.add_string("tokenizer.ggml.model", "llama");
    writer.add_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
    writer.add_string("tokenizer.ggml.add_bos_token", "yes");
    expect_error(writer, "add_bos_string", ErrorCode::kInvalidArgument, "tokenizer.ggml.add_bos_token");
  }
  {
    model::GgufWriter writer;
    writer.add_string("tokenizer.ggml.model", "t5");
    writer.add_string_array("tokenizer.ggml.tokens", {"a"});
    expect_error(writer, "t5", ErrorCode::kUnimplemented, "t5");
  }
}

}  // namespace
}  // namespace hearth::text

namespace hearth::text {
namespace {

// A template the interpreter cannot parse falls back to the native family its
// markers name, and says why; one that names no family is refused with both reasons.
TEST(TokenizerGgufTest, UnparseableTemplateFallsBackToNativeFamily) {
  model::GgufWriter writer;
  writer.add_string("tokenizer.ggml.model", "gpt2");
  writer.add_string_array("tokenizer.ggml.tokens", {"<|im_start|>", "<|im_end|>", "a"});
  writer.add_string("tokenizer.chat_template", "{% for m in messages %}<|im_start|>{{ m.role }{% endfor %}");
  const model::GgufFile file = write_and_open(writer, "broken_template");
  auto chat = ChatTemplate::from_gguf(file);
  ASSERT_TRUE(chat.ok()) << chat.status().to_string();
  EXPECT_EQ(chat->name(), "chatml");
  EXPECT_NE(chat->fallback_reason().find("does not parse"), std::string::npos) << chat->fallback_reason();
  EXPECT_NE(chat->fallback_reason().find("line 1"), std::string::npos) << chat->fallback_reason();

  model::GgufWriter unknown;
  unknown.add_string("tokenizer.ggml.model", "gpt2");
  unknown.add_string_array("tokenizer.ggml.tokens", {"a", "b"});
  unknown.add_string("tokenizer.chat_template", "{{ unclosed");
  auto refused = ChatTemplate::from_gguf(write_and_open(unknown, "unknown_template"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("does not parse"), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("unrecognized chat template"), std::string::npos);
}

}  // namespace
}  // namespace hearth::text
