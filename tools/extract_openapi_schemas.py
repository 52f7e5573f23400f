#!/usr/bin/env python3
"""Extracts the OpenAPI schemas hearth's API tests validate against.

Reads OpenAI's published OpenAPI description (../shared/specs/openai-openapi.json,
MIT license) and writes the closure under $ref of the named schemas of
components.schemas, unchanged, to tests/api/openai-schemas.json, so the test
suite carries what it checks against (a fresh clone has no ../shared).

    python3 tools/extract_openapi_schemas.py [SPEC] [OUT]
"""
import json
import sys
from pathlib import Path

ROOTS = [
    "CreateChatCompletionResponse",
    "CreateChatCompletionStreamResponse",
    "CreateCompletionResponse",
    "CreateEmbeddingResponse",
    "ListModelsResponse",
    "Model",
    "ErrorResponse",
    "OpenAIFile",
    "ListFilesResponse",
    "DeleteFileResponse",
    "Batch",
    "ListBatchesResponse",
]
PREFIX = "#/components/schemas/"


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(PREFIX):
                yield value[len(PREFIX):]
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def main():
    repo = Path(__file__).resolve().parent.parent
    spec_path = Path(sys.argv[1]) if len(sys.argv) > 1 else repo.parent / "shared/specs/openai-openapi.json"
    out_path = Path(sys.argv[2]) if len(sys.argv) > 2 else repo / "tests/api/openai-schemas.json"
    spec = json.loads(spec_path.read_text())
    schemas = spec["components"]["schemas"]
    keep, todo = {}, list(ROOTS)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep[name] = schemas[name]
        todo.extend(refs(schemas[name]))
    out = {
        "source": "OpenAI OpenAPI description " + spec.get("info", {}).get("version", "?") +
                  " (MIT license, see LICENSE-openai-openapi); extracted by tools/extract_openapi_schemas.py",
        "components": {"schemas": dict(sorted(keep.items()))},
    }
    out_path.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")
    print(f"{out_path}: {len(keep)} schemas, {out_path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
