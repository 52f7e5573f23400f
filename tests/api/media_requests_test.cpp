// The request readers of POST /v1/ocr and POST /v1/audio/speech: every
// accepted shape, and each wrong one a 400 naming the field.
#include <gtest/gtest.h>

#include "api/ocr.h"
#include "api/speech.h"
#include "base/base64.h"

namespace hearth::api {
namespace {

TEST(OcrRequestTest, ReadsDocumentUrlsImageUrlsAndPages) {
  const std::string pdf = "%PDF-1.4 fake";
  auto data_url = parse_ocr_request(R"({"model":"tesseract-eng","pages":[2,0],"id":"r1","include_image_base64":true,
      "document":{"type":"document_url","document_url":"data:application/pdf;base64,)" +
                                    base64_encode(pdf) + R"(",
      "document_name":"a.pdf"}})");
  ASSERT_TRUE(data_url.ok()) << data_url.error().message;
  EXPECT_EQ(data_url->model, "tesseract-eng");
  EXPECT_EQ(data_url->ocr.document, pdf);
  EXPECT_EQ(data_url->ocr.pages, (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(data_url->document_param, "document.document_url");

  auto bare = parse_ocr_request(R"({"model":"m","document":{"type":"image_url","image_url":")" +
                                base64_encode("\x89PNG") + R"("}})");
  ASSERT_TRUE(bare.ok()) << bare.error().message;
  EXPECT_EQ(bare->ocr.document, "\x89PNG");
  auto object =
      parse_ocr_request(R"({"model":"m","document":{"type":"image_url","image_url":{"url":"data:image/png;base64,)" +
                        base64_encode("png") + R"("}}})");
  ASSERT_TRUE(object.ok()) << object.error().message;
  EXPECT_EQ(object->document_param, "document.image_url.url");
}

TEST(OcrRequestTest, NamesTheFieldOfEveryMistake) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"document":{"type":"document_url","document_url":"QQ=="}})", "model"},
      {R"({"model":"m"})", "document"},
      {R"({"model":"m","document":"QQ=="})", "document"},
      {R"({"model":"m","document":{"type":"pdf","document_url":"QQ=="}})", "document.type"},
      {R"({"model":"m","document":{"type":"document_url"}})", "document.document_url"},
      {R"({"model":"m","document":{"type":"document_url","document_url":"https://x/y.pdf"}})", "document.document_url"},
      {R"({"model":"m","document":{"type":"document_url","document_url":"data:application/pdf,plain"}})",
       "document.document_url"},
      {R"({"model":"m","document":{"type":"document_url","document_url":"not base64!"}})", "document.document_url"},
      {R"({"model":"m","document":{"type":"document_url","document_url":"QQ==","extra":1}})", "document.extra"},
      {R"({"model":"m","document":{"type":"image_url","image_url":7}})", "document.image_url"},
      {R"({"model":"m","pages":"1","document":{"type":"document_url","document_url":"QQ=="}})", "pages"},
      {R"({"model":"m","pages":[0,1.5],"document":{"type":"document_url","document_url":"QQ=="}})", "pages[1]"},
      {R"({"model":"m","bbox_annotation_format":{},"document":{"type":"document_url","document_url":"QQ=="}})",
       "bbox_annotation_format"},
      {R"({"model":"m","surprise":1,"document":{"type":"document_url","document_url":"QQ=="}})", "surprise"},
  };
  for (const auto& [body, param] : cases) {
    auto parsed = parse_ocr_request(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().http_status, 400) << body;
    EXPECT_EQ(parsed.error().param, param) << body << ": " << parsed.error().message;
  }
}

TEST(OcrResponseTest, HasMistralsShape) {
  OcrApiRequest request;
  request.model = "tesseract-eng";
  infer::OcrResult result;
  result.doc_size_bytes = 1234;
  result.pages.push_back({.index = 1, .markdown = "Hello\n\nworld", .dpi = 200, .width = 10, .height = 20});
  EXPECT_EQ(
      render_ocr_response(request, result),
      R"({"document_annotation":null,"model":"tesseract-eng","pages":[{"dimensions":{"dpi":200,"height":20,"width":10},)"
      R"("images":[],"index":1,"markdown":"Hello\n\nworld"}],"usage_info":{"doc_size_bytes":1234,"pages_processed":1}})");
}

TEST(SpeechRequestTest, ReadsOpenAisFieldsWithTheirDefaults) {
  auto plain = parse_speech_request(R"({"model":"espeak-ng","input":"Hi there","voice":"alloy"})");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->speech.format, infer::AudioFormat::kMp3);
  EXPECT_DOUBLE_EQ(plain->speech.speed, 1.0);
  auto all = parse_speech_request(
      R"({"model":"espeak-ng","input":"Hi","voice":"de+f2","response_format":"flac","speed":1.5,"stream_format":"audio"})");
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->speech.format, infer::AudioFormat::kFlac);
  EXPECT_DOUBLE_EQ(all->speech.speed, 1.5);
  EXPECT_EQ(all->speech.voice, "de+f2");
  // 4096 characters of three bytes each are within the limit: it counts characters, not bytes.
  std::string long_text;
  for (int idx = 0; idx < 4096; ++idx) long_text += "\xe2\x82\xac";
  EXPECT_TRUE(parse_speech_request(R"({"model":"m","voice":"alloy","input":")" + long_text + "\"}").ok());
}

TEST(SpeechRequestTest, NamesTheFieldOfEveryMistake) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"input":"a","voice":"alloy"})", "model"},
      {R"({"model":"m","voice":"alloy"})", "input"},
      {R"({"model":"m","input":"a"})", "voice"},
      {R"({"model":"m","input":"","voice":"alloy"})", "input"},
      {R"({"model":"m","input":"a\u0000b","voice":"alloy"})", "input"},
      {R"({"model":"m","input":"a","voice":"alloy","speed":0.1})", "speed"},
      {R"({"model":"m","input":"a","voice":"alloy","speed":"fast"})", "speed"},
      {R"({"model":"m","input":"a","voice":"alloy","response_format":"ogg"})", "response_format"},
      {R"({"model":"m","input":"a","voice":"alloy","instructions":"softly"})", "instructions"},
      {R"({"model":"m","input":"a","voice":"alloy","stream_format":"sse"})", "stream_format"},
      {R"({"model":"m","input":"a","voice":"alloy","stream_format":"x"})", "stream_format"},
      {R"({"model":"m","input":"a","voice":"alloy","volume":2})", "volume"},
  };
  for (const auto& [body, param] : cases) {
    auto parsed = parse_speech_request(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().param, param) << body << ": " << parsed.error().message;
  }
  EXPECT_EQ(speech_error_param("speed 0.3 is beyond what eSpeak NG can speak"), "speed");
  EXPECT_EQ(speech_error_param("the input has 5000 characters"), "input");
  EXPECT_EQ(speech_error_param("'x' is not a voice of eSpeak NG here"), "voice");
}

}  // namespace
}  // namespace hearth::api
