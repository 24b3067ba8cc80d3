#if canImport(Glibc)
  import Glibc
#endif

/// Position–semantic fusion (docs/aggregators.md, after `high-dimensional-aggregation.md`):
/// a = Σₜ wₜ·(eₜ ⊙ pₜ) over the live tokens, then a / ‖a‖. The positional vectors pₜ are learned
/// (T rows, f16 in the model file, decoded to f32 at open) or, when the file holds none, the
/// sinusoidal fallback pₜ[i] = 1 + ½·sin(t·fᵢ + φᵢ), fᵢ = 10000^(−2⌊i/2⌋/D), φᵢ = (i mod 2)·π/2,
/// tabulated for 512 positions. Positions past the table reuse its last row.
final class FusionAggregator: @unchecked Sendable {
  /// Rows of the sinusoidal fallback table.
  static let sinusoidalRows = 512

  let dimension: Int
  /// Rows of `positions`.
  let rows: Int
  /// Whether the positions were learned (false: the sinusoidal fallback).
  let learned: Bool
  private let positions: UnsafeMutablePointer<Float>

  /// Parses the aggregator section: u32 version (1), u32 T, u32 D, u32 reserved, T·D f16.
  init(section: UnsafeRawBufferPointer, dimension: Int) throws {
    func invalid(_ why: String) -> ModelFileError { .invalidAggregatorParameters("fusion: " + why) }
    guard section.count >= 16 else { throw invalid("section of \(section.count) bytes") }
    let version = LittleEndian.load(section, at: 0, as: UInt32.self)
    let t = Int(LittleEndian.load(section, at: 4, as: UInt32.self))
    let d = Int(LittleEndian.load(section, at: 8, as: UInt32.self))
    guard version == 1 else { throw invalid("version \(version)") }
    guard d == dimension else { throw invalid("dimension \(d), model \(dimension)") }
    guard t <= 1 << 16, section.count == 16 + t * d * 2 else { throw invalid("\(section.count) bytes for \(t) positions") }
    self.dimension = dimension
    learned = t > 0
    rows = learned ? t : Self.sinusoidalRows
    positions = .allocate(capacity: rows * dimension)
    if learned {
      for i in 0..<(t * d) { positions[i] = Float(section.loadUnaligned(fromByteOffset: 16 + 2 * i, as: Float16.self)) }
    } else {
      for row in 0..<rows {
        for i in 0..<dimension {
          let frequency = pow(10000.0, -2.0 * Double(i / 2) / Double(dimension))
          let phase = Double(i % 2) * Double.pi / 2
          positions[row * dimension + i] = Float(1 + 0.5 * sin(Double(row) * frequency + phase))
        }
      }
    }
  }

  deinit { positions.deallocate() }

  /// pₜ (its first components), for live-token position t.
  @inline(__always)
  func position(_ t: Int) -> UnsafePointer<Float> { UnsafePointer(positions + min(t, rows - 1) &* dimension) }

  /// a = Σₖ wₖ·(e(tokens[k]) ⊙ pₖ) over the first `d` components, into `acc`; `scratch` holds d floats.
  func aggregate(tokens: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Float>, vectors: TokenVectors,
                 scratch: UnsafeMutablePointer<Float>, into acc: UnsafeMutablePointer<Float>, dimension d: Int) {
    assert(tokens.count == weights.count && d <= dimension, "fusion: \(tokens.count) tokens, \(weights.count) weights, d \(d)")
    acc.update(repeating: 0, count: d)
    for k in 0..<tokens.count {
      scratch.update(repeating: 0, count: d)
      vectors.accumulate(token: Int(tokens[k]), weight: weights[k], into: scratch, dimension: d)
      VectorMath.addProduct(scratch, position(k), into: acc, count: d)
    }
  }
}
