#if canImport(Glibc)
  import Glibc
#endif

import Quiver
import QuiverABI

/// A failure found at the C boundary, before any library call: a bad argument, or an external
/// model's callback that failed.
enum ABIError: Error, CustomStringConvertible {
  case invalidArgument(String)
  case callbackFailed(String)
  case notFound(String)

  var description: String {
    switch self {
    case .invalidArgument(let what), .notFound(let what): what
    case .callbackFailed(let what): "the external model failed: \(what)"
    }
  }
}

/// The status code of an error (`qv_status` in quiver.h): what a caller can act on without reading
/// the message.
func status(of error: any Error) -> qv_status {
  switch error {
  case let e as ABIError:
    switch e {
    case .invalidArgument: return QV_ERROR_INVALID_ARGUMENT
    case .callbackFailed: return QV_ERROR_CALLBACK
    case .notFound: return QV_ERROR_NOT_FOUND
    }
  case let e as StoreError:
    switch e {
    case .noStore, .unknownSpace: return QV_ERROR_NOT_FOUND
    case .corruptRecord, .notAStore, .unsupportedFormatVersion: return QV_ERROR_CORRUPT
    case .readOnly: return QV_ERROR_READ_ONLY
    case .busy: return QV_ERROR_IO
    case .wrongDimension, .invalidDocument, .unsupportedElementType, .spaceMismatch, .noLexicalIndex, .tokenizerMismatch,
      .invalidArgument:
      return QV_ERROR_INVALID_ARGUMENT
    }
  case let e as EmbeddingError:
    if case .countMismatch = e { return QV_ERROR_CALLBACK }
    return QV_ERROR_INVALID_ARGUMENT
  case is FilterError: return QV_ERROR_INVALID_ARGUMENT
  case let e as ModelFileError:
    if case .unreadable(_, let code) = e, code == ENOENT { return QV_ERROR_NOT_FOUND }
    return QV_ERROR_CORRUPT
  case is DiskCacheError: return QV_ERROR_CORRUPT
  case let e as LMDBError:
    switch e {
    case .mapFull, .system(ENOSPC): return QV_ERROR_FULL
    case .system(EACCES), .system(EROFS): return QV_ERROR_READ_ONLY
    case .corrupted, .pageNotFound, .invalid, .versionMismatch: return QV_ERROR_CORRUPT
    default: return QV_ERROR_IO
    }
  default: return QV_ERROR_INTERNAL
  }
}

/// Runs an entry point's body: QV_OK and a cleared message when it returns, else the error's
/// status with its one-line message set for the calling thread. Nothing thrown crosses the boundary.
func guarded(_ body: () throws -> Void) -> Int32 {
  do {
    try body()
    qv_abi_set_last_error(nil)
    return Int32(bitPattern: QV_OK.rawValue)
  } catch {
    let line = String(describing: error).split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " ")
    qv_abi_set_last_error(line)
    return Int32(bitPattern: status(of: error).rawValue)
  }
}

/// `pointer`, or an invalid-argument error naming the parameter.
func required<T>(_ pointer: T?, _ name: String) throws -> T {
  guard let pointer else { throw ABIError.invalidArgument("\(name) is null") }
  return pointer
}
