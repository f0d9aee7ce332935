#pragma once
// The engine's public API: everything the app and its UI may use. Internals (weights, kernels,
// sessions' caches) stay behind these headers.
#include "chat_template.h"
#include "compare.h"
#include "conversation.h"
#include "error.h"
#include "fim.h"
#include "generation.h"
#include "models.h"
#include "report_json.h"
#include "run_record.h"
#include "sampling_params.h"
#include "scaled_model.h"
#include "session.h"
#include "system.h"
