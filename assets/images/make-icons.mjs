// Regenerates favicon.ico (48x48) and apple-touch-icon.png (180x180) from
// favicon.svg with headless Chromium. The outputs are committed; run this only
// after changing favicon.svg:   node assets/images/make-icons.mjs
// (Senco's own icon: govuk-frontend's favicons show the crown, which only
// GOV.UK services may use.)
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
const svg = await readFile(join(here, 'favicon.svg'), 'utf8')
const userDataDir = await mkdtemp(join(tmpdir(), 'senco-icons-'))
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync']
})

async function render (size) {
  const page = await context.newPage()
  await page.setViewportSize({ width: size, height: size })
  await page.setContent(`<!DOCTYPE html><html><body style="margin:0;background:transparent">` +
    svg.replace('<svg ', `<svg width="${size}" height="${size}" `) + '</body></html>')
  const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } })
  await page.close()
  return png
}

// An ICO file may hold a PNG image as is (Windows Vista and later, all browsers).
function icoFromPng (png, size) {
  const header = Buffer.alloc(6 + 16)
  header.writeUInt16LE(0, 0) // reserved
  header.writeUInt16LE(1, 2) // type: icon
  header.writeUInt16LE(1, 4) // one image
  header.writeUInt8(size >= 256 ? 0 : size, 6) // width
  header.writeUInt8(size >= 256 ? 0 : size, 7) // height
  header.writeUInt8(0, 8) // no palette
  header.writeUInt8(0, 9) // reserved
  header.writeUInt16LE(1, 10) // colour planes
  header.writeUInt16LE(32, 12) // bits per pixel
  header.writeUInt32LE(png.length, 14) // image size
  header.writeUInt32LE(22, 18) // image offset
  return Buffer.concat([header, png])
}

try {
  await writeFile(join(here, 'favicon.ico'), icoFromPng(await render(48), 48))
  await writeFile(join(here, 'apple-touch-icon.png'), await render(180))
  console.log('wrote favicon.ico and apple-touch-icon.png')
} finally {
  await context.close()
  await rm(userDataDir, { recursive: true, force: true })
}
