// Constrained decoding's per-step cost: the allowed-token mask of a real
// vocabulary (TokenTrie over GrammarMatcher) at the states a JSON answer
// passes through, and the one-off trie build.
//
//   HEARTH_VOCAB_GGUF=build/tests/text/real_tokenizers/qwen3.gguf bench_grammar_mask
//
// The vocabulary GGUF is any file with tokenizer.* keys (the real tokenizer
// fixtures unpacked by ctest's text_parity_test build are vocab-only GGUFs).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "infer/grammar_matcher.h"
#include "infer/json_grammar.h"
#include "infer/token_trie.h"
#include "model/gguf.h"
#include "text/tokenizer.h"

namespace hearth::infer {
namespace {

std::vector<std::string>& vocab_bytes() {
  static std::vector<std::string> bytes = [] {
    std::vector<std::string> out;
    const char* path = std::getenv("HEARTH_VOCAB_GGUF");
    if (path == nullptr) return out;
    auto file = model::GgufFile::open(path);
    if (!file.ok()) return out;
    auto tokenizer = text::Tokenizer::from_gguf(*file);
    if (!tokenizer.ok()) return out;
    for (int64_t id = 0; id < (*tokenizer)->n_vocab(); ++id) {
      out.push_back((*tokenizer)->token_to_bytes(static_cast<int32_t>(id)));
    }
    return out;
  }();
  return bytes;
}

// {"customer": {"name": string, "email": string}, "items": [{"sku": string,
// "quantity": integer 1..99, "unit_price": number 0..10000}] 1..3, "currency": enum, "paid": boolean}
JsonGrammar invoice_grammar() {
  JsonGrammar grammar;
  GrammarNode customer = GrammarNode::object_node();
  customer.properties.push_back({"\"name\"", grammar.add(GrammarNode::string_node()), true});
  customer.properties.push_back({"\"email\"", grammar.add(GrammarNode::string_node()), true});
  GrammarNode quantity = GrammarNode::number_node(true);
  quantity.minimum = 1;
  quantity.maximum = 99;
  GrammarNode price = GrammarNode::number_node(false);
  price.minimum = 0;
  price.maximum = 10000;
  GrammarNode item = GrammarNode::object_node();
  item.properties.push_back({"\"sku\"", grammar.add(GrammarNode::string_node()), true});
  item.properties.push_back({"\"quantity\"", grammar.add(std::move(quantity)), true});
  item.properties.push_back({"\"unit_price\"", grammar.add(std::move(price)), true});
  GrammarNode items = GrammarNode::array_node(grammar.add(std::move(item)));
  items.min_items = 1;
  items.max_items = 3;
  std::vector<int32_t> currencies;
  for (const char* code : {"\"USD\"", "\"EUR\"", "\"GBP\""}) currencies.push_back(grammar.add(GrammarNode::literal_node(code)));
  GrammarNode invoice = GrammarNode::object_node();
  invoice.properties.push_back({"\"customer\"", grammar.add(std::move(customer)), true});
  invoice.properties.push_back({"\"items\"", grammar.add(std::move(items)), true});
  invoice.properties.push_back({"\"currency\"", grammar.add(GrammarNode::any_of(std::move(currencies))), true});
  invoice.properties.push_back({"\"paid\"", grammar.add(GrammarNode::any_of({grammar.add(GrammarNode::literal_node("true")), grammar.add(GrammarNode::literal_node("false"))})), true});
  grammar.set_root(grammar.add(std::move(invoice)));
  return grammar;
}

void mask_after(benchmark::State& state, const char* prefix) {
  if (vocab_bytes().empty()) {
    state.SkipWithError("set HEARTH_VOCAB_GGUF to a GGUF file with a tokenizer");
    return;
  }
  static const JsonGrammar grammar = invoice_grammar();
  static TokenTrie trie(vocab_bytes());
  GrammarMatcher matcher(grammar);
  if (!matcher.accept(std::string_view(prefix))) {
    state.SkipWithError("the prefix does not fit the grammar");
    return;
  }
  std::vector<uint8_t> allowed;
  int64_t n_allowed = 0;
  for (auto _ : state) {
    n_allowed = trie.fill_allowed(matcher, &allowed);
    benchmark::DoNotOptimize(allowed.data());
  }
  state.counters["allowed"] = static_cast<double>(n_allowed);
  state.counters["vocab"] = static_cast<double>(vocab_bytes().size());
}

void BM_MaskAtStart(benchmark::State& state) { mask_after(state, ""); }
void BM_MaskBeforeKey(benchmark::State& state) { mask_after(state, "{\"customer\": {"); }
void BM_MaskInString(benchmark::State& state) { mask_after(state, "{\"customer\": {\"name\": \"Ada Lov"); }
void BM_MaskInBoundedNumber(benchmark::State& state) {
  mask_after(state, "{\"customer\": {\"name\": \"A\", \"email\": \"b\"}, \"items\": [{\"sku\": \"x\", \"quantity\": 4");
}

void BM_TrieBuild(benchmark::State& state) {
  if (vocab_bytes().empty()) {
    state.SkipWithError("set HEARTH_VOCAB_GGUF to a GGUF file with a tokenizer");
    return;
  }
  for (auto _ : state) {
    TokenTrie trie(vocab_bytes());
    benchmark::DoNotOptimize(trie.n_nodes());
  }
}

BENCHMARK(BM_MaskAtStart)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskBeforeKey)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskInString)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskInBoundedNumber)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TrieBuild)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hearth::infer

BENCHMARK_MAIN();
