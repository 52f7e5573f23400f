// What the Files and Batches routes work with: hearth.db's file store and
// batch queue, the runner to wake, and the limits on what clients send.
// serve (cli/serve_command.cpp) makes them; the server only borrows them.
#pragma once

#include <cstdint>
#include <string>

#include "api/batch_input.h"
#include "jobs/batch_runner.h"
#include "jobs/batch_store.h"
#include "jobs/file_store.h"
#include "net/multipart.h"

namespace hearth::api {

inline constexpr int64_t kDefaultMaxUploadBytes = int64_t{100} << 20;

// Who is asking: files and batches belong to the key that made them (another
// key's are 404s), and a batch records its caller's data class.
struct BatchCaller {
  std::string key_name;    // "" without a key
  std::string data_class;  // the request's class (gateway/data_class.h names)
};

struct BatchServices {
  jobs::FileStore* files = nullptr;
  jobs::BatchStore* batches = nullptr;
  jobs::BatchRunner* runner = nullptr;  // notified on create and cancel; told of interactive requests
  // POST /v1/files bodies may be this large (other routes keep --max-body-bytes).
  int64_t max_upload_bytes = kDefaultMaxUploadBytes;
  // GET /v1/files/{id}/content and a batch's input file are read whole, up to this.
  int64_t max_read_bytes = int64_t{512} << 20;
  net::MultipartLimits multipart;
  BatchInputLimits input;
};

}  // namespace hearth::api
