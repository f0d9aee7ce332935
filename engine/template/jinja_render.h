#pragma once
// Renders a parsed template over the variables a chat template is given. A hostile template
// cannot hang or exhaust memory: output, loop iterations, range() sizes and the text expressions
// handle are capped (parse() already capped nesting), and going over a cap is an EngineError
// naming it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "jinja_syntax.h"

namespace q8::jinja {

struct RenderLimits {
    size_t max_output_bytes = size_t{16} << 20;
    int64_t max_iterations = 100'000;  // loop bodies run over the whole render; also the longest list
    // Bytes of all the strings expressions yield over the whole render. The two caps above still
    // let a loop read or extend a 16 MiB string 100,000 times: terabytes of copying, a hang.
    // Real templates handle a few times the conversation's text.
    size_t max_work_bytes = size_t{256} << 20;
};

// Throws EngineError: raise_exception('...') with its message as is, anything else as
// "chat template line N: ...".
std::string render(const Body& program, const Map& variables, const RenderLimits& limits = {});

}  // namespace q8::jinja
