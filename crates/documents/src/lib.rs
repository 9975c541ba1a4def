//! Documents: PDFs of plans and letters (comes with the plans issue).
