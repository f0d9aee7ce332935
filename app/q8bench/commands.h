#pragma once
// Each q8bench subcommand registers its options on the CLI11 app and runs when chosen.
#include <CLI/CLI.hpp>

namespace q8bench {

void add_info_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_ppl_command(CLI::App& app);
void add_fidelity_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_bandwidth_command(CLI::App& app);
void add_agreement_command(CLI::App& app);
void add_synth_command(CLI::App& app);
void add_verify_command(CLI::App& app);
void add_profile_command(CLI::App& app);

}  // namespace q8bench
