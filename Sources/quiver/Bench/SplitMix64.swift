#if canImport(Glibc)
  import Glibc
#endif

/// A small deterministic random generator (SplitMix64) so that benchmark inputs are reproducible.
struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A standard normal sample (Box–Muller).
  mutating func nextGaussian() -> Float {
    let u1 = Double(next() >> 11) / Double(1 << 53) + 1e-300
    let u2 = Double(next() >> 11) / Double(1 << 53)
    return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
  }
}

@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
