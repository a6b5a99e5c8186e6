import Foundation
import PTBCore
import Testing
@testable import PTBTasks

/// Each task's dev split (`EvalTask.devSamples`): what the broker may show the agent in full.
/// A dev prompt must never equal a test prompt.
@Suite struct DevSplitTests {
    /// Arith's dev split is exactly what the agent's generator makes with the dev seed.
    @Test func arithDevSplitIsTheTrainGeneratorsOutput() throws {
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-arith-dev-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("arith_generator.py")
        try ArithTask().contextFiles()["arith_generator.py"]!.write(to: script, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("dev.jsonl")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script.path, "--n", String(ArithTask.devSize), "--seed", String(ArithTask.devSeed), "--out", out.path]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let generated = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        }
        let t = TempHome()
        defer { t.cleanup() }
        let dev = try #require(try ArithTask().devSamples(home: t.home))
        #expect(dev.count == ArithTask.devSize)
        #expect(dev.map { $0.messages.map(\.content) } == generated.map { [$0["question"] ?? ""] })
        #expect(dev.map(\.target) == generated.map { $0["answer"] ?? "" })
        #expect(dev.first?.id == "dev-1")
        // Another seed gives other items: the port follows the draws, not a fixed list.
        let other = ArithTask.trainGenerator(count: 20, seed: 1)
        #expect(other.map(\.messages) != Array(dev.prefix(20)).map(\.messages))
    }

    @Test func arithDevPromptsNeverEqualTestPrompts() throws {
        let t = TempHome()
        defer { t.cleanup() }
        let dev = try #require(try ArithTask().devSamples(home: t.home))
        let devPrompts = Set(dev.map { $0.messages.map(\.content).joined(separator: "\n") })
        // This installation's test split, and others (the seed differs per installation).
        var tests = [try ArithTask().samples(home: t.home)]
        tests += [0, 1, 2025, 99_999].map { ArithTask.testSplit(seed: $0) }
        for test in tests {
            #expect(test.count == ArithTask.testSize)
            let clash = test.filter { devPrompts.contains($0.messages.map(\.content).joined(separator: "\n")) }
            #expect(clash.isEmpty, "dev items equal test items: \(clash.map(\.messages))")
        }
        // The dev answers are right (the same check the generator's own test makes).
        for s in dev {
            let q = s.messages[0].content
            let nums = q.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            let expected = q.contains("minus") || q.contains("gives away") ? nums[0] - nums[1] : nums[0] + nums[1]
            #expect(s.target == String(expected), "\(q)")
        }
    }

    /// GSM8K's dev split: the train split without the few-shot examples and without any question
    /// that is also a test question, prompted as the test split is.
    @Test func gsm8kDevSplitIsTheTrainSplitPromptedLikeTheTest() throws {
        let t = TempHome()
        defer { t.cleanup() }
        // Row 13 is also a test question (upstream has none; the filter must hold anyway). With 15
        // rows the few-shot picks are rows 1, 3, 4, 6, 7, 8, 10, 11, 12, 15, so the filter drops it.
        let duplicate = 12
        let train = GSM8KTaskTests.trainRows + [GSM8KTaskTests.testRows[1]] + ["Oz", "Pia"].enumerated().map { i, n in
            GSM8KTask.Row(question: "\(n) reads \(i + 3) pages a day for 4 days. How many pages?", answer: "\(i + 3) * 4 = \(4 * (i + 3))\n#### \(4 * (i + 3))")
        }
        let store = TaskDataStore(home: t.home)
        _ = try store.importFile(try t.file("train.jsonl", try jsonl(train)), task: GSM8KTask(), split: "train")
        _ = try store.importFile(try t.file("test.jsonl", try jsonl(GSM8KTaskTests.testRows)), task: GSM8KTask(), split: "test")
        let task = GSM8KTask()
        let test = try task.samples(home: t.home)
        let dev = try #require(try task.devSamples(home: t.home))
        var rng = NumpyRandom(seed: 42)
        let fewshot = Set(rng.permutation(train.count).prefix(10))
        let expectedRows = (0..<train.count).filter { !fewshot.contains($0) && train[$0] != GSM8KTaskTests.testRows[1] }
        #expect(dev.map(\.id) == expectedRows.map { "train-\($0 + 1)" })
        // The duplicate is not a few-shot pick, so the test-question filter is what drops it.
        #expect(!fewshot.contains(duplicate))
        #expect(dev.count == train.count - 10 - 1)
        let testPrompts = Set(test.map { $0.messages.map(\.content) })
        #expect(dev.allSatisfy { !testPrompts.contains($0.messages.map(\.content)) })
        // Prompted like the test split: the same few-shot system message and user template.
        for s in dev {
            let row = train[Int(s.id.dropFirst("train-".count))! - 1]
            #expect(s.messages.map(\.role) == ["system", "user"])
            #expect(s.messages[0].content == test[0].messages[0].content)
            #expect(s.messages[1].content == GSM8KTask.promptTemplate.replacingOccurrences(of: "{prompt}", with: row.question))
            #expect(s.target == GSM8KTask.parse(row).target)
        }
        // No few-shot example is a dev item (its answer is in every prompt).
        let fewshotQuestions = Set(fewshot.map { train[$0].question })
        #expect(dev.allSatisfy { s in !fewshotQuestions.contains(where: { s.messages[1].content.contains($0) }) })
    }

    @Test func gsm8kDevSplitWithoutTrainDataSaysHowToGetIt() throws {
        let t = TempHome()
        defer { t.cleanup() }
        do {
            _ = try GSM8KTask().devSamples(home: t.home)
            Issue.record("devSamples succeeded without the train split")
        } catch {
            let text = "\(error)"
            #expect(text.contains("the train split is not imported"), "\(text)")
            #expect(text.contains("ptb data pull gsm8k"), "\(text)")
            #expect(text.contains("ptb data import gsm8k <path> --split train"), "\(text)")
        }
    }

    /// Every other task has no dev split, and says why without reading any data.
    @Test func tasksWithoutADevSplitSayWhy() throws {
        let t = TempHome()
        defer { t.cleanup() }
        for task in TaskRegistry.all {
            let note = task.devSplitNote
            #expect(note.count > 20 && note.hasSuffix("."), "\(task.id): \(note)")
            if task.id == "arith" || task.id == "gsm8k" { continue }
            #expect(try task.devSamples(home: t.home) == nil, "\(task.id)")
        }
    }

    /// The Python random draws the arith port relies on, against CPython's own outputs
    /// (recorded with Python 3.11: `r = random.Random(5); [r.random(), r.randint(0, 9), r.choice("abcdef")]`).
    @Test func pythonRandomDrawsMatchCPython() throws {
        var r = PythonRandom(seed: 5)
        let x = r.random()
        let i = r.randint(0, 9)
        let c = r.choice(Array("abcdef"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import random; r = random.Random(5); print(repr(r.random()), r.randint(0, 9), r.choice('abcdef'))"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "\(x) \(i) \(c)")
    }
}
