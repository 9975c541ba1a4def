//! The `senco` binary: the web server and the command line in one.

use std::process::ExitCode;

fn main() -> ExitCode {
    senco::main()
}
