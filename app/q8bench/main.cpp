// q8bench: the headless face of the engine, for scripts, benchmarks and CI.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include <q8/error.h>

#include "commands.h"

int main(int argc, char** argv) {
    spdlog::set_default_logger(spdlog::stderr_color_st("q8bench"));
    spdlog::set_level(spdlog::level::warn);

    CLI::App app{"q8bench: inspect, tokenize and run GGUF models on the CPU"};
    app.require_subcommand(1);
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "Log engine progress to stderr");
    app.parse_complete_callback([&] {
        if (verbose) spdlog::set_level(spdlog::level::info);
    });
    q8bench::add_info_command(app);
    q8bench::add_tokenize_command(app);
    q8bench::add_generate_command(app);
    q8bench::add_ppl_command(app);
    q8bench::add_fidelity_command(app);
    q8bench::add_bench_command(app);
    q8bench::add_compare_command(app);
    q8bench::add_bandwidth_command(app);
    q8bench::add_agreement_command(app);
    q8bench::add_synth_command(app);
    q8bench::add_verify_command(app);
    q8bench::add_profile_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const q8::EngineError& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    return 0;
}
