// SHA-256 against published vectors; the sha256sum sidecar format.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "llama_test_model.h"
#include "store/sha256.h"

namespace hearth::store {
namespace {

std::string digest_of(std::string_view text) {
  Sha256 hasher;
  hasher.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  return hasher.finish_hex();
}

TEST(Sha256Test, KnownVectors) {  // ref: FIPS 180-4 examples
  EXPECT_EQ(digest_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(digest_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digest_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, IncrementalEqualsWholeAndResetStartsOver) {
  Sha256 hasher;
  hasher.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("ab"), 2));
  hasher.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("c"), 1));
  EXPECT_EQ(hasher.finish_hex(), digest_of("abc"));
  hasher.reset();
  EXPECT_EQ(hasher.finish_hex(), digest_of(""));
}

TEST(Sha256Test, OfFile) {
  const std::string path = model::test::temp_path("sha256_of_file");
  std::ofstream(path) << "abc";
  EXPECT_EQ(*sha256_of_file(path), digest_of("abc"));
  std::remove(path.c_str());
  EXPECT_EQ(sha256_of_file(path).status().code(), ErrorCode::kIo);
}

TEST(Sha256Test, NormalizesTypedDigests) {
  const std::string upper(64, 'A');
  EXPECT_EQ(*normalize_sha256_hex(upper), std::string(64, 'a'));
  EXPECT_FALSE(normalize_sha256_hex(std::string(63, 'a')).ok());
  EXPECT_FALSE(normalize_sha256_hex(std::string(64, 'g')).ok());
}

TEST(Sha256Test, SidecarEntries) {
  const std::string hex_a(64, 'a');
  const std::string hex_b(64, 'b');
  EXPECT_EQ(find_sha256sum_entry(hex_a + "  x.gguf\n" + hex_b + " *y.gguf\n", "y.gguf")->value(), hex_b);
  EXPECT_EQ(find_sha256sum_entry(hex_a + "  /mnt/nas/x.gguf\n", "x.gguf")->value(), hex_a);
  EXPECT_EQ(find_sha256sum_entry(hex_a + "\n", "x.gguf")->value(), hex_a);  // one bare digest
  EXPECT_FALSE(find_sha256sum_entry(hex_a + "  other.gguf\n", "x.gguf")->has_value());
  EXPECT_FALSE(find_sha256sum_entry(hex_a + "\n" + hex_b + "\n", "x.gguf")->has_value());  // ambiguous
  EXPECT_EQ(find_sha256sum_entry("not a digest  x.gguf\n", "x.gguf").status().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(find_sha256sum_entry(hex_a + "a  x.gguf\n", "x.gguf").status().code(), ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace hearth::store
