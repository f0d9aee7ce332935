#pragma once
// The options every q8bench command that loads a model for measurement shares: which precision
// to run (quantizing F16/F32 weights at load), group size, asymmetric groups, activation mode.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include <q8/error.h>

#include "model.h"

namespace q8bench {

struct QuantCliOptions {
    std::string config = "native";
    int group = 32;
    bool asym = false;
    std::string act = "auto";

    void add_to(CLI::App* cmd, bool with_config = true) {
        if (with_config) {
            cmd->add_option("--config", config,
                            "Precision: native (as stored), fp16, q8, q4 (F16/F32 files are quantized at load)")
                ->check(CLI::IsMember(
                    {"native", "fp16", "f16", "q8", "q4", "native+spec", "fp16+spec", "q8+spec", "q4+spec"}))
                ->capture_default_str();
        }
        cmd->add_option("--group", group, "Q4: values per scale (32, 64, 128)")
            ->check(CLI::IsMember({32, 64, 128}))
            ->capture_default_str();
        cmd->add_flag("--asym", asym, "Q4: asymmetric groups (f16 scale + f16 minimum)");
        cmd->add_option("--act", act,
                        "Activations: auto (q4: a8b, q8: a16, native: as the file says), a16 (float), a8 (int8 "
                        "per token: W8A8 / W4A8), a8b (int8 with one scale per 32 values: W4A8 / W8A8 blocks)")
            ->check(CLI::IsMember({"auto", "a16", "a8", "a8b"}))
            ->capture_default_str();
    }

    // "q4+spec" is the Q4 target decoded speculatively with a draft.
    static bool is_speculative(const std::string& config) {
        return config.size() > 5 && config.compare(config.size() - 5, 5, "+spec") == 0;
    }
    static std::string precision_of(const std::string& config) {
        return is_speculative(config) ? config.substr(0, config.size() - 5) : config;
    }

    q8::LoadOptions load_options(const std::string& config_name) const {
        q8::LoadOptions o;
        o.precision = q8::parse_precision(precision_of(config_name));
        o.q4_group = group;
        o.q4_asymmetric = asym;
        o.activations = q8::parse_activation_mode(act);
        return o;
    }
    q8::LoadOptions load_options() const { return load_options(config); }
};

}  // namespace q8bench
