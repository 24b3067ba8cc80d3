/// Read access to a model's token vectors, wherever they live: PQ codes and codebook in the map,
/// an unquantised f16/f32 table in the map.
///
/// The one hot operation is ``accumulate(token:weight:into:dimension:)``: `acc += weight · v[token]`
/// over the first `dimension` components, written with SIMD8 loads so nothing is allocated and no
/// token vector is ever materialised.
struct TokenVectors: @unchecked Sendable {
  enum Storage {
    /// codebook: M × 256 × sub floats; codes: V × M bytes.
    case pq(codebook: UnsafePointer<Float>, codes: UnsafePointer<UInt8>, m: Int, sub: Int)
    case float32(UnsafePointer<Float>)
    case float16(UnsafePointer<Float16>)
  }

  let storage: Storage
  let dimension: Int
  let count: Int

  /// `acc[0..<dimension] += weight · v[token][0..<dimension]`.
  /// - Precondition: `token < count`; `dimension` ≤ the native dimension; for PQ a multiple of the
  ///   sub-space size; `acc` holds at least `dimension` floats.
  @inline(__always)
  func accumulate(token: Int, weight: Float, into acc: UnsafeMutablePointer<Float>, dimension used: Int) {
    assert(token >= 0 && token < count && used <= dimension, "token \(token) of \(count), dimension \(used) of \(dimension)")
    let w8 = SIMD8<Float>(repeating: weight)
    let raw = UnsafeMutableRawPointer(acc)
    switch storage {
    case .pq(let codebook, let codes, let m, let sub):
      let row = codes + token &* m
      if sub == 8 {
        let book = UnsafeRawPointer(codebook)
        for j in 0..<(used / 8) {
          let centroid = (j &* 256 &+ Int(row[j])) &* 32  // byte offset: 8 floats a centroid
          let a = raw.loadUnaligned(fromByteOffset: j &* 32, as: SIMD8<Float>.self)
          raw.storeBytes(of: a + w8 * book.loadUnaligned(fromByteOffset: centroid, as: SIMD8<Float>.self),
                         toByteOffset: j &* 32, as: SIMD8<Float>.self)
        }
      } else if sub == 4 {
        let book = UnsafeRawPointer(codebook)
        let w4 = SIMD4<Float>(repeating: weight)
        for j in 0..<(used / 4) {
          let centroid = (j &* 256 &+ Int(row[j])) &* 16  // byte offset: 4 floats a centroid
          let a = raw.loadUnaligned(fromByteOffset: j &* 16, as: SIMD4<Float>.self)
          raw.storeBytes(of: a + w4 * book.loadUnaligned(fromByteOffset: centroid, as: SIMD4<Float>.self),
                         toByteOffset: j &* 16, as: SIMD4<Float>.self)
        }
      } else {
        for j in 0..<(used / sub) {
          let centroid = codebook + (j &* 256 &+ Int(row[j])) &* sub
          let out = acc + j &* sub
          for i in 0..<sub { out[i] += weight * centroid[i] }
        }
      }
    case .float32(let table):
      let row = UnsafeRawPointer(table + token &* dimension)
      var i = 0
      while i &+ 8 <= used {
        let a = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        raw.storeBytes(of: a + w8 * row.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self),
                       toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
      }
      let tail = table + token &* dimension
      while i < used {
        acc[i] += weight * tail[i]
        i &+= 1
      }
    case .float16(let table):
      let row = UnsafeRawPointer(table + token &* dimension)
      var i = 0
      while i &+ 8 <= used {
        let a = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        let v = SIMD8<Float>(row.loadUnaligned(fromByteOffset: i &* 2, as: SIMD8<Float16>.self))
        raw.storeBytes(of: a + w8 * v, toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
      }
      let tail = table + token &* dimension
      while i < used {
        acc[i] += weight * Float(tail[i])
        i &+= 1
      }
    }
  }

  /// `acc[0..<dimension] = Σₖ weights[k] · v[tokens[k]]` (overwrites `acc`).
  ///
  /// PQ with 4- or 8-float sub-spaces runs sub-space-major: each sub-space's sum stays in one SIMD
  /// register across all tokens, so the accumulator is written once instead of loaded and stored
  /// per token. Other layouts run token-major through ``accumulate(token:weight:into:dimension:)``.
  /// - Precondition: every token `< count`; as for `accumulate`.
  @inline(__always)
  func weightedSum(
    tokens: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Float>,
    into acc: UnsafeMutablePointer<Float>, dimension used: Int
  ) {
    assert(tokens.count == weights.count && used <= dimension, "weightedSum: \(tokens.count) tokens, \(weights.count) weights")
    assert(tokens.allSatisfy { $0 >= 0 && Int($0) < count }, "weightedSum: token out of the vocabulary")
    let raw = UnsafeMutableRawPointer(acc)
    if case .pq(let codebook, let codes, let m, let sub) = storage, sub == 4 || sub == 8 {
      let book = UnsafeRawPointer(codebook)
      let n = tokens.count
      if sub == 4 {
        for j in 0..<(used / 4) {
          var sum = SIMD4<Float>()
          let page = j &* 256
          for k in 0..<n {
            let code = Int(codes[Int(tokens[k]) &* m &+ j])
            sum += SIMD4<Float>(repeating: weights[k]) * book.loadUnaligned(fromByteOffset: (page &+ code) &* 16, as: SIMD4<Float>.self)
          }
          raw.storeBytes(of: sum, toByteOffset: j &* 16, as: SIMD4<Float>.self)
        }
      } else {
        for j in 0..<(used / 8) {
          var sum = SIMD8<Float>()
          let page = j &* 256
          for k in 0..<n {
            let code = Int(codes[Int(tokens[k]) &* m &+ j])
            sum += SIMD8<Float>(repeating: weights[k]) * book.loadUnaligned(fromByteOffset: (page &+ code) &* 32, as: SIMD8<Float>.self)
          }
          raw.storeBytes(of: sum, toByteOffset: j &* 32, as: SIMD8<Float>.self)
        }
      }
      return
    }
    acc.update(repeating: 0, count: used)
    for k in 0..<tokens.count {
      accumulate(token: Int(tokens[k]), weight: weights[k], into: acc, dimension: used)
    }
  }
}
