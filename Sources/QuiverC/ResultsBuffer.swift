#if canImport(Glibc)
  import Glibc
#endif
import Quiver
import QuiverABI

/// The `qv_results` of a batch of queries: one `malloc`ed struct and six `malloc`ed arrays (ids and
/// texts as buffers plus 64-bit offsets), freed together by `qv_free`.
enum ResultsBuffer {
  static func make(_ answers: [[SearchResult]]) -> UnsafeMutablePointer<qv_results> {
    let total = answers.reduce(0) { $0 + $1.count }
    let offsets = allocate(Int64.self, answers.count + 1)
    let scores = allocate(Float.self, total)
    let idOffsets = allocate(Int64.self, total + 1)
    let textOffsets = allocate(Int64.self, total + 1)
    var idBytes: [UInt8] = [], textBytes: [UInt8] = []
    var r = 0
    offsets[0] = 0
    idOffsets[0] = 0
    textOffsets[0] = 0
    for (q, results) in answers.enumerated() {
      for result in results {
        scores[r] = result.score
        idBytes.append(contentsOf: result.id.utf8)
        textBytes.append(contentsOf: result.text.utf8)
        r += 1
        idOffsets[r] = Int64(idBytes.count)
        textOffsets[r] = Int64(textBytes.count)
      }
      offsets[q + 1] = Int64(r)
    }
    let out = allocate(qv_results.self, 1)
    out.pointee = qv_results(
      queries: Int64(answers.count), count: Int64(total), offsets: offsets, scores: scores, ids: copy(idBytes),
      id_offsets: idOffsets, texts: copy(textBytes), text_offsets: textOffsets)
    return out
  }

  static func free(_ results: UnsafeMutablePointer<qv_results>) {
    let r = results.pointee
    for p in [UnsafeRawPointer(r.offsets), UnsafeRawPointer(r.scores), UnsafeRawPointer(r.ids), UnsafeRawPointer(r.id_offsets),
              UnsafeRawPointer(r.texts), UnsafeRawPointer(r.text_offsets)] {
      Glibc.free(UnsafeMutableRawPointer(mutating: p))
    }
    Glibc.free(results)
  }

  /// `count` uninitialised elements from `malloc` (at least one byte, so never null).
  private static func allocate<T>(_: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
    guard let raw = malloc(max(1, count * MemoryLayout<T>.stride)) else { fatalError("out of memory") }
    return raw.bindMemory(to: T.self, capacity: max(count, 1))
  }

  private static func copy(_ bytes: [UInt8]) -> UnsafePointer<CChar> {
    let p = allocate(CChar.self, bytes.count)
    bytes.withUnsafeBytes { if $0.count > 0 { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
    return UnsafePointer(p)
  }
}
