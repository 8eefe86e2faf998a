#pragma once

#include <QWidget>

#include <functional>
#include <vector>

#include "hw/Platform.h"

class QDoubleSpinBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QComboBox;

namespace circnn::gui {

// Edits one hardware platform: every numeric field with its unit, and the field's source (where
// the value comes from, or that it is an assumption) beside it; a field whose value is changed is
// marked "edited" there. Save writes a platform JSON file (core savePlatform, atomic), Load reads
// one (core loadPlatform; errors name the file and field). Emits platformEdited on every change.
class PlatformForm : public QWidget {
    Q_OBJECT
public:
    explicit PlatformForm(QWidget* parent = nullptr);

    void setPlatform(const hw::Platform& platform);
    const hw::Platform& platform() const { return m_platform; }

    // The spin box of a JSON field ("clock_mhz", "energy_pj.fixed16.mul", …), for tests.
    QDoubleSpinBox* field(const QString& key) const;

    // File actions (with dialogs); also used by the hardware view's buttons.
    void saveAs();
    void load();

signals:
    void platformEdited(const circnn::hw::Platform& platform);
    void platformLoaded(const circnn::hw::Platform& platform);

private:
    struct Field {
        QString key;
        QDoubleSpinBox* box;
        QLabel* source;
        std::function<double&(hw::Platform&)> ref;
    };
    void addField(const QString& key, const QString& label, const QString& unit, double max, int decimals,
                  std::function<double&(hw::Platform&)> ref);
    void refreshSources();

    hw::Platform m_platform;
    hw::Platform m_original; // as loaded: edited fields are marked against it
    QGridLayout* m_grid;
    QLineEdit* m_name;
    QComboBox* m_kind;
    QLabel* m_description;
    std::vector<Field> m_fields;
    bool m_updating = false;
};

} // namespace circnn::gui
