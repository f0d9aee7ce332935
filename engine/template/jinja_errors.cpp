#include "jinja_errors.h"

#include <q8/error.h>

namespace q8::jinja {

void unsupported(int line, std::string_view what) {
    throw EngineError("chat template line " + std::to_string(line) + ": " + std::string(what) +
                      " is not supported by q8chat's template renderer");
}

void fail(int line, std::string_view message) {
    throw EngineError("chat template line " + std::to_string(line) + ": " + std::string(message));
}

}  // namespace q8::jinja
