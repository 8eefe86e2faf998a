// The README's "Supported layer classes" section (with its sequence-model subsection) names every
// Keras class and alias of the traits table (model/LayerTraits.cpp), so the list a user reads
// cannot fall behind the code: a layer family added to the table without its README entry fails.

#include <QTest>

#include <cctype>
#include <fstream>
#include <string>

#include "TestSupport.h"
#include "model/LayerTraits.h"

using namespace circnn;

namespace {

// The text from the "## Supported layer classes" heading to the next level-2 heading.
std::string supportedSection()
{
    std::ifstream in(test::sourceDir() / "README.md");
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    const std::size_t begin = text.find("\n## Supported layer classes");
    if (begin == std::string::npos)
        return {};
    const std::size_t end = text.find("\n## ", begin + 1);
    return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// `word` occurs in `text` not as part of a longer identifier ("Conv2D" is not found in "Conv2DTranspose").
bool mentions(const std::string& text, const std::string& word)
{
    const auto identifier = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
        const bool before = at > 0 && identifier(text[at - 1]);
        const bool after = at + word.size() < text.size() && identifier(text[at + word.size()]);
        if (!before && !after)
            return true;
    }
    return false;
}

} // namespace

class TestSupportedLayersDoc : public QObject {
    Q_OBJECT
private slots:
    void readmeListsEveryClassAndAlias()
    {
        const std::string section = supportedSection();
        QVERIFY2(!section.empty(), "README.md has no '## Supported layer classes' section");
        QStringList missing;
        for (const LayerTraits& t : allLayerTraits()) {
            if (!mentions(section, t.kerasClass))
                missing << t.kerasClass;
            for (const char* alias : t.aliases)
                if (!mentions(section, alias))
                    missing << QString("%1 (alias of %2)").arg(alias, t.kerasClass);
        }
        QVERIFY2(missing.isEmpty(), qPrintable("not in the README's supported layer classes: " + missing.join(", ")));
    }

    void mentionsIsWholeWord()
    {
        QVERIFY(mentions("Conv2D, Dense", "Conv2D"));
        QVERIFY(!mentions("Conv2DTranspose", "Conv2D"));
        QVERIFY(!mentions("MaxPooling2D", "Pooling2D"));
    }
};

QTEST_APPLESS_MAIN(TestSupportedLayersDoc)
#include "TestSupportedLayersDoc.moc"
