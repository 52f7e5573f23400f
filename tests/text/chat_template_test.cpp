// Chat templates: golden prompts written by hand from each family's published
// Jinja template (see the refs in chat_template.cpp), recognition of template
// sources, and the conversations the templates reject.
#include "text/chat_template.h"

#include <gtest/gtest.h>

namespace hearth::text {
namespace {

using Messages = std::vector<ChatMessage>;

std::string render(std::string_view name, const Messages& messages, bool add_generation_prompt) {
  auto chat = ChatTemplate::from_name(name);
  EXPECT_TRUE(chat.ok()) << chat.status().to_string();
  auto prompt = chat->render(messages, add_generation_prompt);
  EXPECT_TRUE(prompt.ok()) << prompt.status().to_string();
  return prompt.ok() ? *prompt : "<error>";
}

TEST(ChatTemplateTest, Llama3Golden) {
  const Messages messages = {{"system", "You are helpful."},
                             {"user", "  Hi!\n"},
                             {"assistant", "Hello."},
                             {"user", "Bye"}};
  EXPECT_EQ(render("llama3", messages, true),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(render("llama3", {{"user", "Hi"}}, false),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
}

TEST(ChatTemplateTest, ChatmlGolden) {
  const Messages messages = {{"system", "S"}, {"user", " U "}, {"assistant", "A"}, {"user", "again"}};
  EXPECT_EQ(render("chatml", messages, true),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n U <|im_end|>\n"
            "<|im_start|>assistant\nA<|im_end|>\n<|im_start|>user\nagain<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(render("chatml", {{"user", "x"}}, false), "<|im_start|>user\nx<|im_end|>\n");
}

TEST(ChatTemplateTest, QwenDefaultSystemPrompt) {
  // ref: Qwen/Qwen2-7B-Instruct tokenizer_config.json
  const std::string qwen2 =
      R"({% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %})";
  auto chat = ChatTemplate::from_source(qwen2);
  ASSERT_TRUE(chat.ok());
  EXPECT_EQ(chat->name(), "chatml");
  EXPECT_EQ(chat->default_system(), "You are a helpful assistant.");
  EXPECT_EQ(*chat->render(Messages{{"user", "Hi"}}, true),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(*chat->render(Messages{{"system", "Terse."}, {"user", "Hi"}}, false),
            "<|im_start|>system\nTerse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
  // The plain ChatML template has no default system prompt.
  EXPECT_EQ(ChatTemplate::from_name("chatml")->default_system(), "");
}

TEST(ChatTemplateTest, Llama2Golden) {
  // The system block joins the first user message before strip(), so the
  // user text's own leading space survives inside it.
  const Messages messages = {{"system", "Be brief."}, {"user", " Hi "}, {"assistant", " Hello "}, {"user", "Bye"}};
  EXPECT_EQ(render("llama2", messages, true),
            "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n Hi [/INST] Hello </s><s>[INST] Bye [/INST]");
  EXPECT_EQ(render("llama2", {{"user", "  Hi\n"}}, false), "<s>[INST] Hi [/INST]");
}

TEST(ChatTemplateTest, MistralGolden) {
  EXPECT_EQ(render("mistral", {{"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}}, true),
            "<s>[INST] Hi [/INST]Hello</s>[INST] Bye [/INST]");
  // hearth's one extension: a leading system message joins the first user turn.
  EXPECT_EQ(render("mistral", {{"system", "S"}, {"user", "Hi"}}, true), "<s>[INST] S\n\nHi [/INST]");
}

TEST(ChatTemplateTest, RecognizesPublishedSources) {
  for (std::string_view name : {"llama3", "chatml", "llama2", "mistral"}) {
    auto chat = ChatTemplate::from_name(name);
    ASSERT_TRUE(chat.ok());
    auto again = ChatTemplate::from_source(chat->jinja_source());
    ASSERT_TRUE(again.ok()) << name;
    EXPECT_EQ(again->name(), name);
  }
  // Mistral v0.1 (eos followed by a space) is still the mistral family.
  const std::string mistral_v01 =
      R"({{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}{% endif %}{% endfor %})";
  EXPECT_EQ(ChatTemplate::from_source(mistral_v01)->name(), "mistral");
  // bos/eos texts from the vocabulary replace the defaults.
  auto custom = ChatTemplate::from_source(ChatTemplate::from_name("llama2")->jinja_source(), "<BOS>", "<EOS>");
  EXPECT_EQ(*custom->render(Messages{{"user", "a"}, {"assistant", "b"}}, false), "<BOS>[INST] a [/INST] b <EOS>");
}

TEST(ChatTemplateTest, UnknownTemplatesAreNamedErrors) {
  const std::string zephyr =
      "{% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + "
      "eos_token }}{% endif %}{% endfor %}";
  auto chat = ChatTemplate::from_source(zephyr);
  ASSERT_FALSE(chat.ok());
  EXPECT_EQ(chat.status().code(), ErrorCode::kUnimplemented);
  EXPECT_NE(chat.status().message().find(zephyr.substr(0, 60)), std::string::npos);
  EXPECT_EQ(chat.status().message().find(zephyr.substr(0, 61)), std::string::npos);

  auto named = ChatTemplate::from_name("vicuna");
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(named.status().message().find("vicuna"), std::string::npos);
  // A quote never cuts a UTF-8 character in half.
  auto cjk = ChatTemplate::from_source(std::string(59, 'x') + "\xE4\xB8\xAD\xE6\x96\x87");
  ASSERT_FALSE(cjk.ok());
  EXPECT_NE(cjk.status().message().find(std::string(59, 'x') + "...'"), std::string::npos);
}

TEST(ChatTemplateTest, RejectsConversationsTheTemplatesReject) {
  auto expect_invalid = [](std::string_view name, const Messages& messages, std::string_view needle) {
    auto prompt = ChatTemplate::from_name(name)->render(messages, true);
    ASSERT_FALSE(prompt.ok()) << name;
    EXPECT_EQ(prompt.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(prompt.status().message().find(needle), std::string::npos) << prompt.status().message();
  };
  for (std::string_view name : {"llama3", "chatml", "llama2", "mistral"}) {
    expect_invalid(name, {}, "no messages");
    expect_invalid(name, {{"user", "a"}, {"tool", "b"}}, "'tool'");
    expect_invalid(name, {{"", "a"}}, "role ''");
  }
  for (std::string_view name : {"llama2", "mistral"}) {
    expect_invalid(name, {{"user", "a"}, {"user", "b"}}, "alternate");
    expect_invalid(name, {{"assistant", "a"}}, "alternate");
    expect_invalid(name, {{"system", "s"}, {"assistant", "a"}}, "alternate");
    expect_invalid(name, {{"user", "a"}, {"assistant", "b"}, {"system", "c"}}, "system");
    expect_invalid(name, {{"system", "s"}}, "no user message");
  }
}

TEST(ChatTemplateTest, StripMatchesPythonIsspace) {
  EXPECT_EQ(strip_python_whitespace(" \t\n\r\v\f x y \x1c\x1f"), "x y");
  EXPECT_EQ(strip_python_whitespace("\xC2\xA0\xC2\x85\xE3\x80\x80x\xE2\x80\x83\xE2\x80\xA8"), "x");
  EXPECT_EQ(strip_python_whitespace("\xE2\x80\x8Bx\xE2\x80\x8B"), "\xE2\x80\x8Bx\xE2\x80\x8B");  // ZWSP is not space
  EXPECT_EQ(strip_python_whitespace("   "), "");
  EXPECT_EQ(strip_python_whitespace(""), "");
  EXPECT_EQ(strip_python_whitespace("x \x80"), "x \x80");   // ill-formed bytes are kept
  EXPECT_EQ(strip_python_whitespace("\xE3\x80 x"), "\xE3\x80 x");
}

}  // namespace
}  // namespace hearth::text

namespace hearth::text {
namespace {

// The interpreter, running each family's published template, renders what
// the native renderer writes (the native families are the fallback).
TEST(ChatTemplateTest, InterpreterAgreesWithNativeFamilies) {
  const std::vector<Messages> conversations = {
      {{"user", "Hi"}},
      {{"system", "Be brief."}, {"user", "  Hi!\n"}, {"assistant", "Hello."}, {"user", "Bye"}},
      {{"user", "Grüße 👋"}, {"assistant", " ok "}, {"user", "line\nbreak"}},
  };
  for (const char* family : {"llama3", "chatml", "llama2", "mistral"}) {
    auto native = ChatTemplate::from_name(family);
    ASSERT_TRUE(native.ok());
    auto interpreted = ChatTemplate::from_jinja(native->jinja_source(), native->bos_text(), native->eos_text());
    ASSERT_TRUE(interpreted.ok()) << family << ": " << interpreted.status().to_string();
    EXPECT_EQ(interpreted->name(), "jinja");
    for (const Messages& messages : conversations) {
      // The published Mistral template refuses system messages (the native one merges them).
      if (std::string_view(family) == "mistral" && messages[0].role == "system") continue;
      for (bool add_generation_prompt : {true, false}) {
        auto want = native->render(messages, add_generation_prompt);
        auto got = interpreted->render(messages, add_generation_prompt);
        ASSERT_TRUE(want.ok() && got.ok()) << family << ": " << got.status().to_string();
        EXPECT_EQ(*got, *want) << family;
      }
    }
  }
}

TEST(ChatTemplateTest, JinjaErrorsAreInvalidArgumentWithPosition) {
  auto chat = ChatTemplate::from_name("mistral");
  ASSERT_TRUE(chat.ok());
  auto interpreted = ChatTemplate::from_jinja(chat->jinja_source(), "<s>", "</s>");
  ASSERT_TRUE(interpreted.ok());
  const Messages bad = {{"user", "a"}, {"user", "b"}};
  auto rendered = interpreted->render(bad, true);
  ASSERT_FALSE(rendered.ok());
  EXPECT_EQ(rendered.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(rendered.status().message().find("chat template: template error at line 1"), std::string::npos)
      << rendered.status().message();
  EXPECT_NE(rendered.status().message().find("must alternate"), std::string::npos);

  auto broken = ChatTemplate::from_jinja("{% if messages %}never closed", "", "");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("does not parse"), std::string::npos);
  EXPECT_NE(broken.status().message().find("line 1, column 1"), std::string::npos) << broken.status().message();
}

}  // namespace
}  // namespace hearth::text
