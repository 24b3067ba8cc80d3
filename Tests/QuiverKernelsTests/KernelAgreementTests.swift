import QuiverKernels
import Testing

/// Every SIMD kernel agrees with its scalar reference on random and awkward inputs.
@Suite struct KernelAgreementTests {
  /// Lengths that are and are not multiples of the SIMD widths (4, 8, 16, 32), plus 0 and 1.
  static let lengths = [0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 255, 256, 257, 384, 768, 1023, 1024]

  private func randomFloats(_ n: Int, scale: Float, using rng: inout some RandomNumberGenerator) -> [Float] {
    (0..<n).map { _ in Float.random(in: -scale...scale, using: &rng) }
  }

  private func close(_ a: Float, _ b: Float, magnitude: Float, n: Int) -> Bool {
    // Reordered float sums differ by rounding only: bound by n·ε·(sum of |terms|).
    abs(a - b) <= Float(max(n, 1)) * Float.ulpOfOne * magnitude * 4 + 1e-30
  }

  @Test(arguments: lengths)
  func dotMatchesScalar(n: Int) {
    var rng = SystemRandomNumberGenerator()
    for scale: Float in [1, 1e-3, 1e6] {
      let a = randomFloats(n, scale: scale, using: &rng)
      let b = randomFloats(n, scale: scale, using: &rng)
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          let magnitude = zip(a, b).reduce(Float(0)) { $0 + abs($1.0 * $1.1) }
          let simd = Kernels.dot(pa, pb)
          let scalar = ScalarKernels.dot(pa, pb)
          #expect(close(simd, scalar, magnitude: magnitude, n: n), "n=\(n) scale=\(scale): \(simd) vs \(scalar)")
        }
      }
    }
  }

  @Test(arguments: lengths)
  func squaredL2MatchesScalar(n: Int) {
    var rng = SystemRandomNumberGenerator()
    for scale: Float in [1, 1e-3, 1e6] {
      let a = randomFloats(n, scale: scale, using: &rng)
      let b = randomFloats(n, scale: scale, using: &rng)
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          let magnitude = zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
          let simd = Kernels.squaredL2(pa, pb)
          let scalar = ScalarKernels.squaredL2(pa, pb)
          #expect(close(simd, scalar, magnitude: magnitude, n: n), "n=\(n): \(simd) vs \(scalar)")
          #expect(Kernels.squaredL2(pa, pa) == 0)
        }
      }
    }
  }

  @Test(arguments: lengths)
  func cosineMatchesScalar(n: Int) {
    var rng = SystemRandomNumberGenerator()
    let a = randomFloats(n, scale: 3, using: &rng)
    let b = randomFloats(n, scale: 3, using: &rng)
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        let simd = Kernels.cosine(pa, pb)
        let scalar = ScalarKernels.cosine(pa, pb)
        #expect(abs(simd - scalar) <= 1e-5, "n=\(n): \(simd) vs \(scalar)")
        #expect(abs(simd) <= 1.0001)
        if n > 0 { #expect(abs(Kernels.cosine(pa, pa) - 1) <= 1e-5) }
      }
    }
  }

  @Test func cosineOfZeroVectorIsZero() {
    let zeros = [Float](repeating: 0, count: 100)
    let ones = [Float](repeating: 1, count: 100)
    zeros.withUnsafeBufferPointer { z in
      ones.withUnsafeBufferPointer { o in
        #expect(Kernels.cosine(z, o) == 0)
        #expect(Kernels.cosine(z, z) == 0)
        #expect(Kernels.dot(z, o) == 0)
      }
    }
  }

  @Test func largeValuesDoNotLoseTheSum() {
    // 1e20² overflows Float to infinity in both implementations alike.
    let big = [Float](repeating: 1e20, count: 33)
    big.withUnsafeBufferPointer { b in
      #expect(Kernels.dot(b, b) == .infinity)
      #expect(ScalarKernels.dot(b, b) == .infinity)
    }
    // Exact in both orders: integers well inside Float's 24-bit mantissa.
    let ints = (0..<257).map { Float($0 % 13) }
    ints.withUnsafeBufferPointer { p in
      #expect(Kernels.dot(p, p) == ScalarKernels.dot(p, p))
      #expect(Kernels.dot(p, p) == Float(ints.reduce(0) { $0 + $1 * $1 }))
    }
  }

  @Test(arguments: lengths)
  func dotScaledInt8IsExact(n: Int) {
    var rng = SystemRandomNumberGenerator()
    let a = (0..<n).map { _ in Int8.random(in: .min ... .max, using: &rng) }
    let b = (0..<n).map { _ in Int8.random(in: .min ... .max, using: &rng) }
    let extremes = [Int8](repeating: .min, count: n)
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        #expect(Kernels.dotScaledInt8(pa, scaleA: 0.5, pb, scaleB: 0.25) == ScalarKernels.dotScaledInt8(pa, scaleA: 0.5, pb, scaleB: 0.25))
        let exact = zip(a, b).reduce(0) { $0 + Int($1.0) * Int($1.1) }
        #expect(Kernels.dotScaledInt8(pa, scaleA: 1, pb, scaleB: 1) == Float(exact))
      }
    }
    extremes.withUnsafeBufferPointer { e in
      #expect(Kernels.dotScaledInt8(e, scaleA: 1, e, scaleB: 1) == Float(n * 16384))
    }
  }

  @Test(arguments: lengths)
  func dotFloatInt8MatchesScalar(n: Int) {
    var rng = SystemRandomNumberGenerator()
    let q = randomFloats(n, scale: 1, using: &rng)
    let codes = (0..<n).map { _ in Int8.random(in: .min ... .max, using: &rng) }
    q.withUnsafeBufferPointer { pq in
      codes.withUnsafeBufferPointer { pc in
        let magnitude = zip(q, codes).reduce(Float(0)) { $0 + abs($1.0 * Float($1.1)) }
        // Both paths: the one this CPU takes (AVX2 C kernel or Swift) and the Swift one.
        let simd = Kernels.dotFloatInt8(pq, pc)
        let portable = Kernels.dotFloatInt8Portable(pq, pc)
        let scalar = ScalarKernels.dotFloatInt8(pq, pc)
        #expect(close(simd, scalar, magnitude: magnitude, n: n), "n=\(n): \(simd) vs \(scalar)")
        #expect(close(portable, scalar, magnitude: magnitude, n: n), "n=\(n): portable \(portable) vs \(scalar)")
      }
    }
    // Exact on small integers: sign extension of every code (−128 stays −128, 127 stays 127).
    let ones = [Float](repeating: 1, count: n)
    for code in [Int8.min, Int8.max, -1] {
      let extremes = [Int8](repeating: code, count: n)
      ones.withUnsafeBufferPointer { po in
        extremes.withUnsafeBufferPointer { pe in
          #expect(Kernels.dotFloatInt8(po, pe) == Float(Int(code) * n))
          #expect(Kernels.dotFloatInt8Portable(po, pe) == Float(Int(code) * n))
        }
      }
    }
  }

  @Test(arguments: [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17])
  func hammingCountsDifferingBits(words: Int) {
    var rng = SystemRandomNumberGenerator()
    let a = (0..<words).map { _ in rng.next() as UInt64 }
    let b = (0..<words).map { _ in rng.next() as UInt64 }
    let inverse = a.map { ~$0 }
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        #expect(Kernels.hamming(pa, pb) == ScalarKernels.hamming(pa, pb))
        #expect(Kernels.hamming(pa, pa) == 0)
      }
      inverse.withUnsafeBufferPointer { pi in
        #expect(Kernels.hamming(pa, pi) == 64 * words)
      }
    }
    // One bit flipped per word, at varying positions.
    var flipped = a
    for i in 0..<words { flipped[i] ^= 1 << UInt64(i % 64) }
    a.withUnsafeBufferPointer { pa in
      flipped.withUnsafeBufferPointer { pf in #expect(Kernels.hamming(pa, pf) == words) }
    }
  }

  @Test(arguments: [0, 1, 3, 4, 5, 8, 16, 31, 32, 33, 64, 128])
  func pqDistanceMatchesTableSum(m: Int) {
    var rng = SystemRandomNumberGenerator()
    let codes = (0..<m).map { _ in UInt8.random(in: 0...255, using: &rng) }
    let table = (0..<(m * 256)).map { _ in Float(Int.random(in: -1000...1000, using: &rng)) / 8 }
    codes.withUnsafeBufferPointer { c in
      table.withUnsafeBufferPointer { t in
        let expected = (0..<m).reduce(Float(0)) { $0 + table[$1 * 256 + Int(codes[$1])] }
        // Multiples of 1/8 below 2^20: every order of summation is exact.
        #expect(Kernels.pqDistance(codes: c, table: t) == expected)
        #expect(ScalarKernels.pqDistance(codes: c, table: t) == expected)
      }
    }
  }
}
