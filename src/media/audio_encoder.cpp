#include "media/audio_encoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include <mutex>
#include <string>
#include <vector>

namespace hearth::media {
namespace {

std::string av_error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

Status av_failure(std::string_view what, int code) {
  return internal_error(std::string(what) + " failed: " + av_error_text(code));
}

struct Codec {
  const char* encoder = nullptr;  // FFmpeg's name
  const char* muxer = nullptr;    // nullptr: raw samples (pcm)
  int64_t bit_rate = 0;           // 0: the encoder's choice (lossless ones)
};

Codec codec_for(infer::AudioFormat format) {
  switch (format) {
    case infer::AudioFormat::kMp3:
      return {"libmp3lame", "mp3", 64000};
    case infer::AudioFormat::kOpus:
      return {"libopus", "ogg", 32000};
    case infer::AudioFormat::kAac:
      return {"aac", "adts", 64000};
    case infer::AudioFormat::kFlac:
      return {"flac", "flac", 0};
    case infer::AudioFormat::kWav:
      return {"pcm_s16le", "wav", 0};
    case infer::AudioFormat::kPcm:
      return {nullptr, nullptr, 0};
  }
  return {};
}

}  // namespace

struct AudioEncoder::State {
  infer::AudioFormat format = infer::AudioFormat::kPcm;
  Sink sink;
  bool sink_stopped = false;
  SwrContext* resampler = nullptr;
  AVSampleFormat sample_format = AV_SAMPLE_FMT_S16;
  AVCodecContext* codec = nullptr;
  AVFormatContext* mux = nullptr;
  AVAudioFifo* fifo = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  int frame_size = 1024;
  bool short_last_frame = false;  // the encoder takes a last frame shorter than frame_size
  int64_t next_pts = 0;
  bool header_written = false;
  bool finished = false;
  std::vector<uint8_t> converted;

  ~State() {
    if (mux != nullptr) {
      if (mux->pb != nullptr) {
        av_freep(&mux->pb->buffer);
        avio_context_free(&mux->pb);
      }
      avformat_free_context(mux);
    }
    avcodec_free_context(&codec);
    if (fifo != nullptr) av_audio_fifo_free(fifo);
    av_frame_free(&frame);
    av_packet_free(&packet);
    swr_free(&resampler);
  }

  static int write_packet(void* opaque, uint8_t* bytes, int size) {
    auto* state = static_cast<State*>(opaque);
    if (state->sink_stopped) return AVERROR_EXIT;
    if (size > 0 && !state->sink(std::string_view(reinterpret_cast<const char*>(bytes), static_cast<size_t>(size)))) {
      state->sink_stopped = true;
      return AVERROR_EXIT;
    }
    return size;
  }

  Status stopped_error() const { return unavailable_error("the audio's receiver stopped reading"); }

  // Every packet the encoder has ready, into the stream.
  Status drain_packets() {
    while (true) {
      const int received = avcodec_receive_packet(codec, packet);
      if (received == AVERROR(EAGAIN) || received == AVERROR_EOF) return ok_status();
      if (received < 0) return av_failure("encoding the audio", received);
      av_packet_rescale_ts(packet, codec->time_base, mux->streams[0]->time_base);
      packet->stream_index = 0;
      const int written = av_write_frame(mux, packet);
      av_packet_unref(packet);
      if (sink_stopped) return stopped_error();
      if (written < 0) return av_failure("writing the audio stream", written);
    }
  }

  Status send(AVFrame* to_send) {
    const int sent = avcodec_send_frame(codec, to_send);
    if (sent < 0) return av_failure("encoding the audio", sent);
    HEARTH_RETURN_IF_ERROR(drain_packets());
    avio_flush(mux->pb);  // the pieces go out as they are made
    if (sink_stopped) return stopped_error();
    return ok_status();
  }
};

AudioEncoder::~AudioEncoder() = default;

Result<std::unique_ptr<AudioEncoder>> AudioEncoder::create(infer::AudioFormat format, int32_t input_sample_rate,
                                                           Sink sink) {
  static std::once_flag quiet;
  // FFmpeg logs to stderr process-wide: warnings about non-seekable outputs
  // (expected when streaming) would fill the server's log.
  std::call_once(quiet, [] { av_log_set_level(AV_LOG_ERROR); });
  if (input_sample_rate < 8000 || input_sample_rate > 192000) {
    return invalid_argument_error("the input sample rate " + std::to_string(input_sample_rate) + " Hz is not usable");
  }
  std::unique_ptr<AudioEncoder> encoder(new AudioEncoder());
  encoder->state_ = std::make_unique<State>();
  State& state = *encoder->state_;
  state.format = format;
  state.sink = std::move(sink);
  const Codec wanted = codec_for(format);
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;

  if (wanted.encoder != nullptr) {
    const AVCodec* codec = avcodec_find_encoder_by_name(wanted.encoder);
    if (codec == nullptr) {
      return unimplemented_error("this FFmpeg has no " + std::string(wanted.encoder) + " encoder for " +
                                 std::string(infer::audio_format_name(format)));
    }
    state.sample_format = codec->sample_fmts != nullptr ? codec->sample_fmts[0] : AV_SAMPLE_FMT_S16;
    const int made = avformat_alloc_output_context2(&state.mux, nullptr, wanted.muxer, nullptr);
    if (made < 0 || state.mux == nullptr) {
      return unimplemented_error("this FFmpeg has no " + std::string(wanted.muxer) + " muxer");
    }
    state.codec = avcodec_alloc_context3(codec);
    if (state.codec == nullptr) return resource_exhausted_error("no memory for the audio encoder");
    state.codec->sample_fmt = state.sample_format;
    state.codec->sample_rate = kSpeechSampleRate;
    if (const int copied = av_channel_layout_copy(&state.codec->ch_layout, &mono); copied < 0) {
      return av_failure("setting the channel layout", copied);
    }
    state.codec->time_base = AVRational{1, kSpeechSampleRate};
    if (wanted.bit_rate > 0) state.codec->bit_rate = wanted.bit_rate;
    if ((state.mux->oformat->flags & AVFMT_GLOBALHEADER) != 0) state.codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (const int opened = avcodec_open2(state.codec, codec, nullptr); opened < 0) {
      return av_failure("opening the " + std::string(wanted.encoder) + " encoder", opened);
    }
    if (state.codec->frame_size > 0) state.frame_size = state.codec->frame_size;
    // An encoder without a fixed frame size (PCM) takes any frame.
    state.short_last_frame =
        state.codec->frame_size == 0 ||
        (codec->capabilities & (AV_CODEC_CAP_VARIABLE_FRAME_SIZE | AV_CODEC_CAP_SMALL_LAST_FRAME)) != 0;

    constexpr int kIoBufferBytes = 4096;
    auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferBytes));
    if (buffer == nullptr) return resource_exhausted_error("no memory for the audio stream");
    AVIOContext* io = avio_alloc_context(buffer, kIoBufferBytes, 1, &state, nullptr, &State::write_packet, nullptr);
    if (io == nullptr) {
      av_free(buffer);
      return resource_exhausted_error("no memory for the audio stream");
    }
    io->seekable = 0;
    state.mux->pb = io;
    state.mux->flags |= AVFMT_FLAG_CUSTOM_IO;
    AVStream* stream = avformat_new_stream(state.mux, nullptr);
    if (stream == nullptr) return resource_exhausted_error("no memory for the audio stream");
    stream->time_base = state.codec->time_base;
    if (const int copied = avcodec_parameters_from_context(stream->codecpar, state.codec); copied < 0) {
      return av_failure("describing the audio stream", copied);
    }
    AVDictionary* options = nullptr;
    // An MP3's Xing header would be rewritten at the end, which a stream cannot do: left out.
    if (format == infer::AudioFormat::kMp3) av_dict_set(&options, "write_xing", "0", 0);
    const int header = avformat_write_header(state.mux, &options);
    av_dict_free(&options);
    if (header < 0) return av_failure("writing the audio stream's header", header);
    state.header_written = true;
    avio_flush(state.mux->pb);
    if (state.sink_stopped) return state.stopped_error();

    state.fifo = av_audio_fifo_alloc(state.sample_format, 1, state.frame_size);
    state.frame = av_frame_alloc();
    state.packet = av_packet_alloc();
    if (state.fifo == nullptr || state.frame == nullptr || state.packet == nullptr) {
      return resource_exhausted_error("no memory for the audio encoder");
    }
  }

  if (const int made = swr_alloc_set_opts2(&state.resampler, &mono, state.sample_format, kSpeechSampleRate, &mono,
                                           AV_SAMPLE_FMT_S16, input_sample_rate, 0, nullptr);
      made < 0) {
    return av_failure("setting up the resampler", made);
  }
  if (const int started = swr_init(state.resampler); started < 0) return av_failure("starting the resampler", started);
  return encoder;
}

Status AudioEncoder::write(std::span<const int16_t> samples) {
  State& state = *state_;
  if (state.finished) return failed_precondition_error("the audio stream is finished");
  if (state.sink_stopped) return state.stopped_error();
  if (samples.empty()) return ok_status();
  const int bytes_per_sample = av_get_bytes_per_sample(state.sample_format);
  const int n_room = swr_get_out_samples(state.resampler, static_cast<int>(samples.size()));
  if (n_room < 0) return av_failure("resampling", n_room);
  state.converted.resize(static_cast<size_t>(n_room) * bytes_per_sample);
  uint8_t* out_planes[1] = {state.converted.data()};
  const auto* in_planes = reinterpret_cast<const uint8_t*>(samples.data());
  const int n_converted =
      swr_convert(state.resampler, out_planes, n_room, &in_planes, static_cast<int>(samples.size()));
  if (n_converted < 0) return av_failure("resampling", n_converted);
  n_output_samples_ += n_converted;
  if (state.codec == nullptr) {
    // pcm: the resampled s16 samples are the stream.
    if (n_converted > 0 && !state.sink(std::string_view(reinterpret_cast<const char*>(state.converted.data()),
                                                        static_cast<size_t>(n_converted) * bytes_per_sample))) {
      state.sink_stopped = true;
      return state.stopped_error();
    }
    return ok_status();
  }
  if (av_audio_fifo_write(state.fifo, reinterpret_cast<void**>(out_planes), n_converted) < n_converted) {
    return resource_exhausted_error("no memory for the audio encoder's buffer");
  }
  return encode_available(false);
}

Status AudioEncoder::encode_available(bool flush) {
  State& state = *state_;
  while (av_audio_fifo_size(state.fifo) >= state.frame_size || (flush && av_audio_fifo_size(state.fifo) > 0)) {
    const int n_available = av_audio_fifo_size(state.fifo);
    const int n_take = std::min(n_available, state.frame_size);
    av_frame_unref(state.frame);
    // A short last frame goes as it is where the encoder takes one, else padded with silence.
    state.frame->nb_samples = state.short_last_frame ? n_take : state.frame_size;
    state.frame->format = state.sample_format;
    state.frame->sample_rate = kSpeechSampleRate;
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    if (const int copied = av_channel_layout_copy(&state.frame->ch_layout, &mono); copied < 0) {
      return av_failure("setting the channel layout", copied);
    }
    if (const int got = av_frame_get_buffer(state.frame, 0); got < 0) return av_failure("allocating a frame", got);
    if (n_take < state.frame->nb_samples) {
      av_samples_set_silence(state.frame->data, n_take, state.frame->nb_samples - n_take, 1, state.sample_format);
    }
    if (av_audio_fifo_read(state.fifo, reinterpret_cast<void**>(state.frame->data), n_take) < n_take) {
      return internal_error("the audio encoder's buffer lost samples");
    }
    state.frame->pts = state.next_pts;
    state.next_pts += state.frame->nb_samples;
    HEARTH_RETURN_IF_ERROR(state.send(state.frame));
  }
  return ok_status();
}

Status AudioEncoder::finish() {
  State& state = *state_;
  if (state.finished) return failed_precondition_error("the audio stream is finished");
  state.finished = true;
  if (state.sink_stopped) return state.stopped_error();
  // What the resampler still holds.
  const int bytes_per_sample = av_get_bytes_per_sample(state.sample_format);
  const int n_room = swr_get_out_samples(state.resampler, 0);
  if (n_room > 0) {
    state.converted.resize(static_cast<size_t>(n_room) * bytes_per_sample);
    uint8_t* out_planes[1] = {state.converted.data()};
    const int n_converted = swr_convert(state.resampler, out_planes, n_room, nullptr, 0);
    if (n_converted < 0) return av_failure("resampling", n_converted);
    n_output_samples_ += n_converted;
    if (state.codec == nullptr) {
      if (n_converted > 0 && !state.sink(std::string_view(reinterpret_cast<const char*>(state.converted.data()),
                                                          static_cast<size_t>(n_converted) * bytes_per_sample))) {
        state.sink_stopped = true;
        return state.stopped_error();
      }
    } else if (av_audio_fifo_write(state.fifo, reinterpret_cast<void**>(out_planes), n_converted) < n_converted) {
      return resource_exhausted_error("no memory for the audio encoder's buffer");
    }
  }
  if (state.codec == nullptr) return ok_status();
  HEARTH_RETURN_IF_ERROR(encode_available(true));
  HEARTH_RETURN_IF_ERROR(state.send(nullptr));  // the encoder's delayed packets
  if (const int trailer = av_write_trailer(state.mux); trailer < 0 && !state.sink_stopped) {
    return av_failure("ending the audio stream", trailer);
  }
  avio_flush(state.mux->pb);
  if (state.sink_stopped) return state.stopped_error();
  return ok_status();
}

}  // namespace hearth::media
