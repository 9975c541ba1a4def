//! The `senco` binary: the web server and the command line in one.

use std::process::ExitCode;

/// mimalloc rather than the system allocator: under load glibc's malloc spent a fifth of the
/// server's time in its own locks, between the runtime's threads and SQLite's (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    senco::main()
}
