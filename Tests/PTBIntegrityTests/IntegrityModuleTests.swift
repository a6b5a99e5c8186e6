import PTBIntegrity
import Testing

@Suite struct IntegrityModuleTests {
    @Test func moduleLinks() {
        #expect(String(describing: PTBIntegrityModule.self) == "PTBIntegrityModule")
    }
}
