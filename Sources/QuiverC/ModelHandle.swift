import Quiver
import QuiverABI

/// What a `qv_model *` points to: an embedding service at one output dimension — a mapped Quiver
/// model file, or an external model (a callback) behind the two cache layers.
final class ModelHandle: @unchecked Sendable {
  let service: any EmbeddingService
  let configuration: ModelConfiguration
  /// The cache in front of an external model (nil for a model file).
  let cached: CachedEmbeddingService?

  init(file path: String, dimension: Int?) throws {
    let model = try StaticModel(path: path)
    service = model
    configuration = try model.configuration(dimension: dimension)
    cached = nil
  }

  init(external: CachedEmbeddingService, dimension: Int) throws {
    service = external
    configuration = try external.configuration(dimension: dimension)
    cached = external
  }

  var dimension: Int { configuration.dimension }

  /// The handle behind a `qv_model *` (not retained).
  static func from(_ pointer: OpaquePointer?) throws -> ModelHandle {
    Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(try required(pointer, "model"))).takeUnretainedValue()
  }

  /// Embeds `texts` a batch of ``EmbeddingLimits/maximumBatch`` at a time into `out`, row-major.
  func embed(_ texts: [String], into out: UnsafeMutablePointer<Float>) throws {
    var start = 0
    while start < texts.count {
      let end = min(texts.count, start + EmbeddingLimits.maximumBatch)
      let rows = try service.embedRows(Array(texts[start..<end]), configuration: configuration)
      guard rows.count == (end - start) * dimension else { throw EmbeddingError.countMismatch(expected: end - start, actual: rows.count / max(dimension, 1)) }
      rows.withUnsafeBufferPointer { (out + start * dimension).update(from: $0.baseAddress!, count: $0.count) }
      start = end
    }
  }
}

/// An external model's function as the C callback it is: texts out as one buffer plus 64-bit
/// offsets, vectors back into a buffer of ours, every component checked finite.
struct ExternalFunction: @unchecked Sendable {
  let callback: qv_embed_callback
  let context: UnsafeMutableRawPointer?

  func callAsFunction(_ texts: [String], _ dimension: Int) throws -> [[Float]] {
    var buffer: [UInt8] = []
    var offsets: [Int64] = [0]
    for t in texts {
      buffer.append(contentsOf: t.utf8)
      offsets.append(Int64(buffer.count))
    }
    var out = [Float](repeating: .nan, count: texts.count * dimension)
    let code = buffer.withUnsafeBytes { b in
      offsets.withUnsafeBufferPointer { o in
        out.withUnsafeMutableBufferPointer { v in
          callback(context, b.baseAddress?.assumingMemoryBound(to: CChar.self), o.baseAddress, Int64(texts.count), Int32(dimension), v.baseAddress)
        }
      }
    }
    guard code == 0 else { throw ABIError.callbackFailed("its callback returned \(code)") }
    return try (0..<texts.count).map { i in
      let row = Array(out[(i * dimension)..<((i + 1) * dimension)])
      guard row.allSatisfy(\.isFinite) else { throw ABIError.callbackFailed("vector \(i) has a NaN or infinite component (or was not written)") }
      return row
    }
  }
}
