/// The rows of a space that a filtered HNSW walk may return: those whose document is in the
/// filter's set (through the graph's in-memory copy of the space's row → document numbers). The
/// walk itself skips deleted rows.
struct RowAllowance: NodeFilter {
  let rowDocuments: [UInt64]
  let documents: DocumentSet

  @inline(__always)
  func allows(_ node: UInt32) -> Bool {
    let i = Int(node)
    return i < rowDocuments.count && documents.contains(rowDocuments[i])
  }
}
