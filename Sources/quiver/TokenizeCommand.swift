import ArgumentParser
import Quiver

struct TokenizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenize",
    abstract: "Split text into SentencePiece pieces and ids (one line per text; stdin when no TEXT).")

  @Option(name: .long, help: "SentencePiece .model file (default: the fixture model).")
  var spm: String?

  @Flag(name: .long, help: "Print ids only, space-separated, like `spm_encode --output_format=id`.")
  var ids = false

  @Argument(help: "Texts to tokenize.")
  var texts: [String] = []

  func run() throws {
    let tokenizer = try SentencePieceTokenizer(contentsOf: spm ?? Fixtures.sentencePieceModel)
    var buffer: [Int32] = []
    func emit(_ text: String) throws {
      try tokenizer.encode(text, into: &buffer)
      if ids {
        print(buffer.map(String.init).joined(separator: " "))
      } else {
        let pieces = buffer.map { "\(tokenizer.piece(for: $0) ?? "?")/\($0)" }
        print("\(buffer.count) tokens: " + pieces.joined(separator: " "))
      }
    }
    if texts.isEmpty {
      while let line = readLine() { try emit(line) }
    } else {
      for text in texts { try emit(text) }
    }
  }
}
