import Foundation
import PTBCore
import PTBInference
import Testing

/// `PTB_ENGINE` picks an engine by name from one list; unknown names list the valid ones.
struct EngineRegistryTests {
    let python = URL(fileURLWithPath: "/nonexistent/python")

    @Test func namesPickTheirEngineAndUnsetIsVLLM() throws {
        #expect(EngineRegistry.names == ["vllm", "transformers"])
        for name in EngineRegistry.names { #expect(try EngineRegistry.engine(named: name, python: python).name == name) }
        #expect(try EngineRegistry.engine(named: nil, python: python).name == "vllm")
        #expect(try EngineRegistry.engine(named: "", python: python).name == "vllm")
    }

    @Test func anUnknownEngineNamesTheValidOnes() {
        #expect {
            _ = try EngineRegistry.engine(named: "sglang", python: python)
        } throws: { error in
            "\(error)".contains("sglang") && "\(error)".contains("transformers")
        }
    }
}
