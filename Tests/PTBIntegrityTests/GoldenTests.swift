import Foundation
import PTBCore
import PTBIntegrity
import PTBTasks
import PTBTestSupport
import Testing

/// The JSON reports are an interface (scripts read them), so their exact shape is pinned here.
/// PTB_PRINT_GOLDEN=1 prints the actual output to paste over a literal after a deliberate change.
func expectGoldenJSON<T: Encodable>(_ value: T, _ expected: String, replacing root: String,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
    let actual = String(decoding: try JSONIO.encode(value), as: UTF8.self).replacingOccurrences(of: root, with: "<tmp>")
    if ProcessInfo.processInfo.environment["PTB_PRINT_GOLDEN"] == "1" { print("GOLDEN>>>\n\(actual)<<<GOLDEN") }
    #expect(actual == expected, sourceLocation: sourceLocation)
}

@Suite struct GoldenTests {
    @Test func provenanceReportJSON() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let base = ToyModel.random(seed: 1, hidden: 8, layers: 1, vocab: 8)
        let instruct = base.finetuned(seed: 2, scale: 0.2)
        try base.write(to: try tmp.directory("base"))
        try instruct.finetuned(seed: 3, scale: 0.05).write(to: try tmp.directory("candidate"), dtype: .bf16)
        try instruct.write(to: try tmp.directory("instruct"))
        let report = try Provenance(base: tmp.url.appendingPathComponent("base"), candidate: tmp.url.appendingPathComponent("candidate"),
                                    references: [NamedCheckpoint(name: "instruct", path: tmp.url.appendingPathComponent("instruct"))],
                                    jobs: 1).run()
        try expectGoldenJSON(report, provenanceGolden, replacing: tmp.url.path)
        #expect(report.renderText().contains("verdict: FLAGGED"))
    }

    @Test func scanReportJSON() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        try Data("""
            {"q": "Mia has 3 apples. She gets 4 more apples from Noah. How many apples does Mia have now?", "a": "7"}
            {"q": "Leo asks: what is 9 minus 2?"}
            """.utf8).write(to: tmp.url.appendingPathComponent("train.jsonl"))
        try Data("nothing to see\n".utf8).write(to: tmp.url.appendingPathComponent("clean.txt"))
        try Data([0x00, 0x01]).write(to: tmp.url.appendingPathComponent("blob.dat"))
        let index = NGramIndex(samples: scanSamples)
        let report = try ContaminationScanner(index: index, task: "toy", jobs: 1).scan(paths: [tmp.url.path, tmp.url.appendingPathComponent("missing.txt").path])
        try expectGoldenJSON(report, scanGolden, replacing: tmp.url.path)
    }
}
