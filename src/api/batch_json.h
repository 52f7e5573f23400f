// The Files and Batches APIs' objects as JSON: OpenAI's OpenAIFile,
// ListFilesResponse, DeleteFileResponse, Batch and ListBatchesResponse.
// ref: openai-openapi.json components.schemas (those names)
//
// Fields the schemas define but hearth has no value for are left out
// (expires_at of a file); times that have not happened yet are left out.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jobs/batch_store.h"
#include "jobs/file_store.h"

namespace hearth::api {

nlohmann::json file_object(const jobs::StoredFile& file);
std::string render_file_list(const std::vector<jobs::StoredFile>& files, bool has_more);
std::string render_file_deleted(const std::string& id);

nlohmann::json batch_object(const jobs::BatchRecord& batch);
std::string render_batch_list(const std::vector<jobs::BatchRecord>& batches, bool has_more);

}  // namespace hearth::api
