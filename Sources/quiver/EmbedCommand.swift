import ArgumentParser
import Quiver

struct EmbedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed",
    abstract: "Embed texts with a static model (one line a text on stdin when no TEXT is given).")

  @Option(help: "Model file (default: the fixture model).")
  var model: String?

  @Option(help: "Output dimension (truncatable models only; 32…native).")
  var dimension: Int?

  @Flag(help: "One JSON object a line: {\"text\", \"tokens\", \"vector\"}.")
  var json = false

  @Argument(help: "Texts to embed.")
  var texts: [String] = []

  func run() throws {
    let staticModel = try StaticModel(path: model ?? FixturePaths.model)
    let embedder = try staticModel.makeEmbedder(outputDimension: dimension)
    var vector = [Float](repeating: 0, count: embedder.outputDimension)
    func emit(_ text: String) throws {
      let tokens = try vector.withUnsafeMutableBufferPointer { try embedder.embed(text, into: $0) }
      let numbers = vector.map { String($0) }.joined(separator: json ? "," : " ")
      if json {
        print("{\"text\":\(jsonString(text)),\"tokens\":\(tokens),\"vector\":[\(numbers)]}")
      } else {
        print(numbers)
      }
    }
    if texts.isEmpty {
      while let line = readLine() { try emit(line) }
    } else {
      for text in texts { try emit(text) }
    }
  }
}

/// A JSON string literal for `s`.
func jsonString(_ s: String) -> String {
  var out = "\""
  for scalar in s.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    case _ where scalar.value < 0x20:
      let hex = String(scalar.value, radix: 16)
      out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out + "\""
}
