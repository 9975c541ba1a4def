//! Interoperability: CSV, the Common Transfer File and census returns (comes with the data issue).
