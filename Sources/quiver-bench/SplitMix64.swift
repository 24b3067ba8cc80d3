import Quiver

#if canImport(Glibc)
  import Glibc
#endif

extension SplitMix64 {
  /// A standard normal sample (Box–Muller), for benchmark inputs.
  mutating func nextGaussian() -> Float {
    let u1 = nextUnit()
    let u2 = Double(next() >> 11) / Double(1 << 53)
    return Float((-2 * Glibc.log(u1)).squareRoot() * Glibc.cos(2 * Double.pi * u2))
  }
}
