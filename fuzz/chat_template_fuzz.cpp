// libFuzzer target: the Jinja interpreter of chat templates (text/jinja), the
// code that runs a template a downloaded GGUF file carries. The input is the
// template source; it is parsed and, when it parses, rendered against a fixed
// conversation that reaches every shape a chat request can have (system,
// multi-turn, content parts, tool calls and results, reasoning, tools).
// Limits are lower than the server's so that a run stays fast; reaching one
// is an expected outcome, as are syntax and type errors. Any crash, sanitizer
// report, leak, hang or escaped exception is a bug.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "text/jinja/template.h"
#include "text/jinja/value.h"

namespace {

namespace jinja = hearth::text::jinja;

jinja::Value dict(std::initializer_list<std::pair<const char*, jinja::Value>> entries) {
  auto out = std::make_shared<jinja::Dict>();
  for (const auto& [key, value] : entries) out->set(key, value);
  return jinja::Value(std::move(out));
}

jinja::Dict make_context() {
  const jinja::Value call =
      dict({{"id", jinja::Value("call_1")},
            {"type", jinja::Value("function")},
            {"function",
             dict({{"name", jinja::Value("get_weather")}, {"arguments", dict({{"city", jinja::Value("Zürich")}})}})}});
  const jinja::Value messages = jinja::Value::list({
      dict({{"role", jinja::Value("system")}, {"content", jinja::Value("You are terse.")}}),
      dict({{"role", jinja::Value("user")},
            {"content", jinja::Value::list({dict({{"type", jinja::Value("text")}, {"text", jinja::Value("Hi 👋")}})})}}),
      dict({{"role", jinja::Value("assistant")},
            {"content", jinja::Value("")},
            {"reasoning_content", jinja::Value("think")},
            {"tool_calls", jinja::Value::list({call})}}),
      dict({{"role", jinja::Value("tool")},
            {"tool_call_id", jinja::Value("call_1")},
            {"content", jinja::Value("21 C")}}),
      dict({{"role", jinja::Value("user")}, {"content", jinja::Value("Thanks\n")}}),
  });
  const jinja::Value tools = jinja::Value::list(
      {dict({{"type", jinja::Value("function")},
             {"function", dict({{"name", jinja::Value("get_weather")},
                                {"parameters", dict({{"type", jinja::Value("object")},
                                                     {"required", jinja::Value::list({jinja::Value("city")})}})}})}})});
  jinja::Dict context;
  context.set("messages", messages);
  context.set("tools", tools);
  context.set("add_generation_prompt", jinja::Value(true));
  context.set("enable_thinking", jinja::Value(false));
  context.set("bos_token", jinja::Value("<s>"));
  context.set("eos_token", jinja::Value("</s>"));
  return context;
}

jinja::Limits fuzz_limits() {
  jinja::Limits limits;
  limits.max_source_bytes = 64 << 10;
  limits.max_steps = 200'000;
  limits.max_output_bytes = 1 << 20;
  return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const jinja::Dict context = make_context();
  static const jinja::Limits limits = fuzz_limits();
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  auto parsed = jinja::Template::parse(source, limits);
  if (!parsed.ok()) return 0;
  auto rendered = parsed->render(context, [] { return int64_t{1'767'225'600'000}; });
  if (rendered.ok() && rendered->size() > limits.max_output_bytes) __builtin_trap();  // a limit not kept
  return 0;
}
