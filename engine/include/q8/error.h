#pragma once
// One exception type for everything the engine refuses: bad files, unsupported models, bad
// requests. The message is meant for the user and names the file and the field at fault.
#include <stdexcept>
#include <string>

namespace q8 {

struct EngineError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace q8
