import Quiver
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct LMDBTests {
  @Test func putGetDeleteRoundTrip() throws {
    try withTemporaryDirectory { dir in
      let env = try LMDBEnvironment(path: dir)
      let db = try env.database(named: "items", flags: .create)
      try env.write { txn throws in
        try txn.put(db, key: "alpha", value: "1")
        try txn.put(db, key: "beta", value: "2")
        try txn.put(db, key: "beta", value: "two")  // overwrite
      }
      try env.read { txn throws in
        #expect(string(try txn.get(db, key: "alpha")) == "1")
        #expect(string(try txn.get(db, key: "beta")) == "two")
        #expect(try txn.get(db, key: "gamma") == nil)
        #expect(try txn.count(db) == 2)
      }
      let deleted = try env.write { try $0.delete(db, key: "alpha") }
      let deletedAgain = try env.write { try $0.delete(db, key: "alpha") }
      #expect(deleted)
      #expect(!deletedAgain)
      try env.read { txn throws in #expect(try txn.get(db, key: "alpha") == nil) }
    }
  }

  @Test func noOverwriteThrowsKeyExists() throws {
    try withTemporaryDirectory { dir in
      let env = try LMDBEnvironment(path: dir)
      let db = try env.database(named: "d", flags: .create)
      try env.write { try $0.put(db, key: "k", value: "v") }
      #expect(throws: LMDBError.keyExists) {
        try env.write { try $0.put(db, key: "k", value: "w", flags: .noOverwrite) }
      }
      try env.read { txn throws in #expect(string(try txn.get(db, key: "k")) == "v") }
    }
  }

  @Test func cursorRangesFollowKeyOrder() throws {
    try withTemporaryDirectory { dir in
      let env = try LMDBEnvironment(path: dir)
      let db = try env.database(named: "numbers", flags: .create)
      try env.write { txn throws in
        for i in stride(from: 0, to: 100, by: 3) {  // 0, 3, …, 99; inserted out of order below
          try txn.put(db, key: BigEndianKey(UInt64(99 - i)), value: "v\(99 - i)")
        }
      }
      try env.read { txn throws in
        try txn.withCursor(db) { cursor throws in
          var seen: [UInt64] = []
          try cursor.forEach(from: BigEndianKey(10), to: BigEndianKey(30)) { entry in
            seen.append(BigEndianKey(bytes: entry.key)!.value)
            return true
          }
          #expect(seen == [12, 15, 18, 21, 24, 27])
          #expect(try cursor.first().map { BigEndianKey(bytes: $0.key)!.value } == 0)
          #expect(try cursor.last().map { BigEndianKey(bytes: $0.key)!.value } == 99)
          #expect(try cursor.previous().map { string($0.value) } == "v96")
          #expect(try cursor.seek(atLeast: BigEndianKey(97)).map { BigEndianKey(bytes: $0.key)!.value } == 99)
          #expect(try cursor.seek(atLeast: BigEndianKey(100)) == nil)
          #expect(try cursor.seek(exactly: BigEndianKey(50)) == nil)
          #expect(try cursor.seek(exactly: BigEndianKey(51)).map { string($0.value) } == "v51")
          var all = 0
          try cursor.forEach { _ in all += 1; return true }
          #expect(all == 34)
          var stoppedAfter = 0
          try cursor.forEach { _ in stoppedAfter += 1; return stoppedAfter < 5 }
          #expect(stoppedAfter == 5)
        }
      }
      // Delete through a cursor in a write transaction.
      try env.write { txn throws in
        try txn.withCursor(db) { cursor throws in
          _ = try cursor.seek(exactly: BigEndianKey(0))
          try cursor.deleteCurrent()
        }
      }
      try env.read { txn throws in #expect(try txn.count(db) == 33) }
    }
  }

  @Test func readerSnapshotIsStableWhileWriterCommits() throws {
    try withTemporaryDirectory { dir in
      let env = try LMDBEnvironment(path: dir)
      let db = try env.database(named: "s", flags: .create)
      try env.write { try $0.put(db, key: "x", value: "before") }
      try env.read { reader throws in
        let seenBefore = string(try reader.get(db, key: "x"))
        // A writer on another thread commits while this reader's transaction is open.
        let done = Flag()
        var writerError: Error?
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Box {
          do {
            try env.write { txn throws in
              try txn.put(db, key: "x", value: "after")
              try txn.put(db, key: "y", value: "new")
            }
          } catch { writerError = error }
          done.set()
        })
        pthread_create(&thread, nil, { raw in
          let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
          box.run()
          return nil
        }, context.toOpaque())
        pthread_join(thread, nil)
        #expect(done.isSet)
        #expect(writerError == nil)
        #expect(seenBefore == "before")
        #expect(string(try reader.get(db, key: "x")) == "before")
        #expect(try reader.get(db, key: "y") == nil)
      }
      try env.read { txn throws in
        #expect(string(try txn.get(db, key: "x")) == "after")
        #expect(string(try txn.get(db, key: "y")) == "new")
      }
    }
  }

  @Test func mapGrowsWhenFull() throws {
    try withTemporaryDirectory { dir in
      var options = LMDBEnvironment.Options()
      options.mapSize = 64 * 1024  // 16 pages of 4 KiB: fills after a few values
      let env = try LMDBEnvironment(path: dir, options: options)
      let initial = env.mapSize
      let db = try env.database(named: "big", flags: .create)
      let value = [UInt8](repeating: 0xAB, count: 8 * 1024)
      var attempts = 0
      try env.write { txn throws in
        attempts += 1
        for i in 0..<256 { try txn.put(db, key: BigEndianKey(UInt64(i)), value: value) }  // 2 MiB
      }
      #expect(attempts > 1, "the write should have hit MDB_MAP_FULL and been retried")
      #expect(env.mapSize > initial)
      try env.read { txn throws in
        #expect(try txn.count(db) == 256)
        #expect(try txn.get(db, key: BigEndianKey(255)).map { Array($0) } == value)
      }
    }
  }

  @Test func mapFullBeyondTheCapIsReported() throws {
    try withTemporaryDirectory { dir in
      var options = LMDBEnvironment.Options()
      options.mapSize = 64 * 1024
      options.maxMapSize = 128 * 1024
      let env = try LMDBEnvironment(path: dir, options: options)
      let db = try env.database(named: "big", flags: .create)
      let value = [UInt8](repeating: 1, count: 8 * 1024)
      #expect(throws: LMDBError.mapFull) {
        try env.write { txn throws in
          for i in 0..<256 { try txn.put(db, key: BigEndianKey(UInt64(i)), value: value) }
        }
      }
      try env.read { txn throws in #expect(try txn.count(db) == 0) }
    }
  }

  @Test func dataPersistsAcrossCloseAndReopen() throws {
    try withTemporaryDirectory { dir in
      do {
        let env = try LMDBEnvironment(path: dir)
        let db = try env.database(named: "p", flags: .create)
        try env.write { txn throws in
          for i in 0..<1000 { try txn.put(db, key: BigEndianKey(UInt64(i)), value: "value \(i)") }
        }
      }
      let env = try LMDBEnvironment(path: dir)
      let db = try env.database(named: "p")
      try env.read { txn throws in
        #expect(try txn.count(db) == 1000)
        #expect(string(try txn.get(db, key: BigEndianKey(777))) == "value 777")
      }
    }
  }

  @Test func abortedWriteLeavesNothing() throws {
    struct Boom: Error {}
    try withTemporaryDirectory { dir in
      let env = try LMDBEnvironment(path: dir)
      let db = try env.database(named: "a", flags: .create)
      try env.write { try $0.put(db, key: "kept", value: "1") }
      #expect(throws: Boom.self) {
        try env.write { txn throws in
          try txn.put(db, key: "lost", value: "2")
          try txn.delete(db, key: "kept")
          throw Boom()
        }
      }
      try env.read { txn throws in
        #expect(try txn.get(db, key: "lost") == nil)
        #expect(string(try txn.get(db, key: "kept")) == "1")
      }
    }
  }

  @Test func reserveWritesInPlace() throws {
    try withTemporaryDirectory { dir in
      let env = try LMDBEnvironment(path: dir)
      let db = try env.database(named: "r", flags: .create)
      try env.write { txn throws in
        let slot = try txn.reserve(db, key: "vec", count: 16)
        for i in 0..<16 { slot[i] = UInt8(i) }
      }
      try env.read { txn throws in #expect(try txn.get(db, key: "vec").map { Array($0) } == Array(0..<16)) }
    }
  }

  @Test func errorsNameTheirLMDBCode() throws {
    #expect(LMDBError(code: -30798) == .notFound)
    #expect(LMDBError(code: -30792) == .mapFull)
    #expect(LMDBError(code: -30780) == .badDatabase)
    #expect(LMDBError(code: -30779) == .problem)
    #expect(LMDBError(code: ENOENT) == .system(errno: ENOENT))
    for code in Int32(-30799)...Int32(-30780) {
      let error = LMDBError(code: code)
      #expect(error.code == code)
      if case .unknown = error { Issue.record("code \(code) has no case") }
    }
    #expect(LMDBError.mapFull.description.contains("MDB_MAP_FULL"))
  }

  @Test func openingAFileThatIsNotLMDBFails() throws {
    try withTemporaryDirectory { dir in
      let file = fopen(dir + "/data.mdb", "wb")!
      let junk = [UInt8](repeating: 0x5A, count: 16384)
      fwrite(junk, 1, junk.count, file)
      fclose(file)
      #expect(throws: LMDBError.invalid) { _ = try LMDBEnvironment(path: dir) }
    }
  }

  @Test func readOnlyEnvironmentRefusesWrites() throws {
    try withTemporaryDirectory { dir in
      do {
        let env = try LMDBEnvironment(path: dir)
        _ = try env.database(named: "ro", flags: .create)
      }
      var options = LMDBEnvironment.Options()
      options.readOnly = true
      let env = try LMDBEnvironment(path: dir, options: options)
      let db = try env.database(named: "ro")
      #expect(throws: LMDBError.system(errno: EACCES)) {
        try env.write { try $0.put(db, key: "k", value: "v") }
      }
    }
  }
}

/// A closure carried through `pthread_create`.
final class Box {
  let run: () -> Void
  init(_ run: @escaping () -> Void) { self.run = run }
}

/// A flag set by one thread and read after `pthread_join` by another.
final class Flag: @unchecked Sendable {
  private(set) var isSet = false
  func set() { isSet = true }
}
