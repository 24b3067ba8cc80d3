import Foundation

/// Lines of a file or of standard input, read a chunk at a time (1 MiB), so memory holds one chunk
/// and one line whatever the input's size. Lines are raw bytes (UTF-8 is checked by the caller, so
/// that invalid bytes are an error and not silently repaired), without their `\n`.
final class LineReader {
  private let handle: FileHandle
  private let ownsHandle: Bool
  private var buffer: [UInt8] = []
  private var start = 0
  private var atEnd = false
  /// Bytes consumed so far (for progress).
  private(set) var bytesRead = 0
  /// The 1-based number of the line last returned.
  private(set) var lineNumber = 0

  init(path: String) throws {
    guard let h = FileHandle(forReadingAtPath: path) else {
      throw CommandFailure(description: "\(path): cannot open")
    }
    handle = h
    ownsHandle = true
  }

  init(standardInput: Void) {
    handle = FileHandle.standardInput
    ownsHandle = false
  }

  deinit { if ownsHandle { try? handle.close() } }

  /// The next line, or nil at the end of the input (a last line without `\n` is returned too).
  func next() throws -> [UInt8]? {
    while true {
      if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
        let line = Array(buffer[start..<newline])
        bytesRead += newline + 1 - start
        start = newline + 1
        lineNumber += 1
        return line
      }
      if atEnd {
        guard start < buffer.count else { return nil }
        let line = Array(buffer[start...])
        bytesRead += buffer.count - start
        start = buffer.count
        lineNumber += 1
        return line
      }
      buffer.removeFirst(start)
      start = 0
      let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
      if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
    }
  }
}
