import PTBCommands

@main
struct Entrypoint {
    static func main() async {
        await PTBCommands.main()
    }
}
