#pragma once
// The window tests bound how long behaviour may take (an answer appears, a load ends) with figures
// for the release build. The sanitizer build runs the engine at -O0 under AddressSanitizer, several
// times slower; its test preset sets Q8_TEST_WAIT_SCALE so that the same tests hold there too.
#include <algorithm>

#include <QtGlobal>

inline int waitScale() {
    static const int scale = std::max(1, qEnvironmentVariableIntValue("Q8_TEST_WAIT_SCALE"));
    return scale;
}

inline int scaledMs(int ms) { return ms * waitScale(); }
