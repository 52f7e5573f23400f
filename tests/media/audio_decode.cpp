#include "audio_decode.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cstring>

namespace hearth::media::testing {
namespace {

struct Reader {
  const std::string* bytes = nullptr;
  size_t pos = 0;
};

int read_packet(void* opaque, uint8_t* buffer, int size) {
  auto* reader = static_cast<Reader*>(opaque);
  const size_t left = reader->bytes->size() - reader->pos;
  if (left == 0) return AVERROR_EOF;
  const size_t n = std::min(left, static_cast<size_t>(size));
  std::memcpy(buffer, reader->bytes->data() + reader->pos, n);
  reader->pos += n;
  return static_cast<int>(n);
}

float sample_at(const AVFrame* frame, int index) {
  switch (frame->format) {
    case AV_SAMPLE_FMT_S16:
      return reinterpret_cast<const int16_t*>(frame->data[0])[index * frame->ch_layout.nb_channels] / 32768.0f;
    case AV_SAMPLE_FMT_S16P:
      return reinterpret_cast<const int16_t*>(frame->data[0])[index] / 32768.0f;
    case AV_SAMPLE_FMT_S32:
      return reinterpret_cast<const int32_t*>(frame->data[0])[index * frame->ch_layout.nb_channels] / 2147483648.0f;
    case AV_SAMPLE_FMT_S32P:
      return reinterpret_cast<const int32_t*>(frame->data[0])[index] / 2147483648.0f;
    case AV_SAMPLE_FMT_FLT:
      return reinterpret_cast<const float*>(frame->data[0])[index * frame->ch_layout.nb_channels];
    case AV_SAMPLE_FMT_FLTP:
      return reinterpret_cast<const float*>(frame->data[0])[index];
    default:
      return 0.0f;
  }
}

}  // namespace

Result<DecodedAudio> decode_audio(const std::string& bytes, const std::string& format_hint) {
  Reader reader{&bytes, 0};
  constexpr int kBufferBytes = 4096;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferBytes));
  AVIOContext* io = avio_alloc_context(buffer, kBufferBytes, 0, &reader, read_packet, nullptr, nullptr);
  AVFormatContext* format = avformat_alloc_context();
  format->pb = io;
  format->flags |= AVFMT_FLAG_CUSTOM_IO;
  const AVInputFormat* input = format_hint.empty() ? nullptr : av_find_input_format(format_hint.c_str());
  AVDictionary* options = nullptr;
  if (format_hint == "s16le") {
    av_dict_set(&options, "sample_rate", "24000", 0);
    av_dict_set(&options, "ch_layout", "mono", 0);
  }
  DecodedAudio out;
  AVCodecContext* codec = nullptr;
  AVPacket* packet = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  Status status = [&]() -> Status {
    if (const int opened = avformat_open_input(&format, nullptr, input, &options); opened < 0) {
      format = nullptr;  // freed by the failed open
      return invalid_argument_error("FFmpeg cannot open the stream");
    }
    if (avformat_find_stream_info(format, nullptr) < 0) return invalid_argument_error("no stream info");
    if (format->nb_streams != 1) return invalid_argument_error("not exactly one stream");
    const AVCodecParameters* parameters = format->streams[0]->codecpar;
    const AVCodec* decoder = avcodec_find_decoder(parameters->codec_id);
    if (decoder == nullptr) return invalid_argument_error("no decoder");
    codec = avcodec_alloc_context3(decoder);
    avcodec_parameters_to_context(codec, parameters);
    if (avcodec_open2(codec, decoder, nullptr) < 0) return invalid_argument_error("the decoder does not open");
    out.container = format->iformat->name;
    out.codec = decoder->name;
    out.sample_rate = codec->sample_rate;
    out.channels = codec->ch_layout.nb_channels;
    auto drain = [&]() -> Status {
      while (true) {
        const int got = avcodec_receive_frame(codec, frame);
        if (got == AVERROR(EAGAIN) || got == AVERROR_EOF) return ok_status();
        if (got < 0) return invalid_argument_error("a frame does not decode");
        out.n_samples += frame->nb_samples;
        for (int idx = 0; idx < frame->nb_samples; ++idx) out.samples.push_back(sample_at(frame, idx));
        av_frame_unref(frame);
      }
    };
    while (av_read_frame(format, packet) >= 0) {
      const int sent = avcodec_send_packet(codec, packet);
      av_packet_unref(packet);
      if (sent < 0) return invalid_argument_error("a packet does not decode");
      HEARTH_RETURN_IF_ERROR(drain());
    }
    avcodec_send_packet(codec, nullptr);
    return drain();
  }();
  av_dict_free(&options);
  av_frame_free(&frame);
  av_packet_free(&packet);
  avcodec_free_context(&codec);
  if (format != nullptr) avformat_close_input(&format);
  av_freep(&io->buffer);
  avio_context_free(&io);
  if (!status.ok()) return status;
  return out;
}

}  // namespace hearth::media::testing
